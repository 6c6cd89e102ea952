"""``ts-forecast``: train | evaluate | predict | list-models | info for long-horizon forecasting.

Thin argument handling over :mod:`panspectra_ts.pipeline`. Examples::

    ts-forecast train --dataset ETTh1 --model patchtst --lookback 96 --horizon 96 --output runs/a
    ts-forecast train --data my.csv --targets a,b,c --horizon 24 --output runs/mine
    ts-forecast predict --checkpoint runs/mine/model.safetensors --data recent.csv --output f.csv
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from panspectra_core.cli import (
    OutputDir,
    UserError,
    add_common_args,
    apply_common_args,
    atomic_write,
    build_parser,
    check_output_file,
    parse_seeds,
    resolve_device,
    run_main,
    write_metrics,
)
from panspectra_core.training.config import SCHEDULERS
from panspectra_ts.data.prepare import EVAL_SPLITS
from panspectra_ts.data.quality import DUPLICATE_POLICIES, FILL_POLICIES
from panspectra_ts.pipeline import (
    DEFAULT_LOOKBACK,
    SourceOptions,
    default_model,
    describe_file,
    evaluate_checkpoint,
    load_forecaster,
    predict_future,
    resolve_settings,
    train_runs,
)

PROG = "ts-forecast"


def _names(text: str | None) -> list[str] | None:
    return [n.strip() for n in text.split(",") if n.strip()] if text else None


def _add_source_args(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--dataset", help="named dataset (ETTh1, ETTh2, ETTm1, ...; see info)")
    group.add_argument("--data", type=Path, metavar="FILE", help="your own CSV or Parquet file")
    parser.add_argument("--date-column", help="timestamp column (default: auto-detected)")
    parser.add_argument(
        "--targets", help="comma-separated columns to forecast (default: all numeric)"
    )
    parser.add_argument("--covariates", help="comma-separated extra input columns (not forecast)")
    parser.add_argument(
        "--fill",
        choices=FILL_POLICIES,
        default="error",
        help="gaps/NaNs: refuse (error, default) or repair explicitly",
    )
    parser.add_argument(
        "--duplicates",
        choices=DUPLICATE_POLICIES,
        default="error",
        help="duplicated timestamps: refuse (default) or merge",
    )
    parser.add_argument("--freq", help="sampling frequency as a pandas alias (default: inferred)")


def _add_split_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--split",
        metavar="TRAIN,TEST",
        help="chronological train,test fractions for files (default 0.7,0.2)",
    )


def _source_options(args: argparse.Namespace) -> SourceOptions:
    split = None
    if getattr(args, "split", None):
        try:
            train, test = (float(v) for v in args.split.split(","))
        except ValueError:
            raise UserError(
                f"--split {args.split!r}: expected two fractions like 0.7,0.2"
            ) from None
        split = (train, test)
    return SourceOptions(
        dataset=args.dataset,
        data=str(args.data) if args.data else None,
        date_column=args.date_column,
        targets=_names(args.targets),
        covariates=_names(args.covariates) or [],
        fill=args.fill,
        duplicates=args.duplicates,
        freq=args.freq,
        split=split,
    )


def _parser() -> argparse.ArgumentParser:
    from panspectra_core.training import add_trainer_args

    parser, sub = build_parser(
        PROG, "Long-horizon forecasting on any CSV/Parquet file.", "panspectra-ts"
    )
    train = sub.add_parser("train", help="train a model and score it on every test window")
    _add_source_args(train)
    _add_split_arg(train)
    add_common_args(train)
    train.add_argument(
        "--model", default=None, help="registered ts model (default: benchmark winner)"
    )
    train.add_argument("--lookback", type=int, help="input length L (default: recipe, else 96)")
    train.add_argument("--horizon", type=int, required=True, help="forecast length H")
    train.add_argument("--seeds", help="several seeds, e.g. 0,1,2 → mean ± std (overrides --seed)")
    train.add_argument("--lr", type=float, help="learning rate (default: recipe)")
    train.add_argument("--batch-size", type=int, help="batch size (default: recipe)")
    train.add_argument(
        "--loss", choices=("mse", "mae", "huber", "arctan"), help="(default: recipe)"
    )
    train.add_argument(
        "--scheduler", choices=SCHEDULERS, help="learning-rate schedule (default: recipe)"
    )
    train.add_argument("--weight-decay", type=float, help="AdamW weight decay (default: recipe)")
    train.add_argument("--model-kwargs", default="{}", help="JSON dict of model overrides")
    train.add_argument("--no-plot", action="store_true", help="skip forecast.png")
    add_trainer_args(train)

    evaluate = sub.add_parser("evaluate", help="score a checkpoint on a dataset or file")
    evaluate.add_argument("--checkpoint", type=Path, required=True)
    _add_source_args(evaluate)
    _add_split_arg(evaluate)
    add_common_args(evaluate, output_required=False)
    evaluate.add_argument(
        "--on",
        choices=EVAL_SPLITS,
        default="test",
        dest="on_split",
        help="which windows to score (default: test split)",
    )

    predict = sub.add_parser("predict", help="forecast the H steps after a file's last timestamp")
    predict.add_argument("--checkpoint", type=Path, required=True)
    predict.add_argument("--data", type=Path, required=True, metavar="FILE")
    predict.add_argument("--fill", choices=FILL_POLICIES, help="(default: the training policy)")
    predict.add_argument("--duplicates", choices=DUPLICATE_POLICIES)
    add_common_args(predict)

    sub.add_parser("list-models", help="registered forecasting models")

    info = sub.add_parser("info", help="summary of a dataset, a file or a checkpoint")
    source = info.add_mutually_exclusive_group(required=True)
    source.add_argument("--dataset")
    source.add_argument("--data", type=Path, metavar="FILE")
    source.add_argument("--checkpoint", type=Path)
    for flag in ("--date-column", "--targets", "--covariates", "--freq"):
        info.add_argument(flag)
    info.add_argument("--fill", choices=FILL_POLICIES, default="error")
    info.add_argument("--duplicates", choices=DUPLICATE_POLICIES, default="error")
    info.add_argument("--lookback", type=int, default=DEFAULT_LOOKBACK)
    info.add_argument("--horizon", type=int, default=96)
    _add_split_arg(info)
    return parser


def _train(args: argparse.Namespace, argv: list[str]) -> int:
    from panspectra_core.training import trainer_config_from_args

    try:
        model_kwargs = json.loads(args.model_kwargs)
        assert isinstance(model_kwargs, dict)
    except (json.JSONDecodeError, AssertionError):
        raise UserError(f"--model-kwargs {args.model_kwargs!r}: expected a JSON object") from None
    if args.horizon < 1 or (args.lookback is not None and args.lookback < 1):
        raise UserError("--horizon and --lookback must be positive")
    seeds = parse_seeds(args.seeds) if args.seeds else [args.seed]
    model = args.model or default_model()
    options = _source_options(args)
    settings = resolve_settings(
        model,
        args.horizon,
        options.dataset,
        epochs=args.max_epochs,
        lr=args.lr,
        batch_size=args.batch_size,
        loss=args.loss,
        scheduler=args.scheduler,
        weight_decay=args.weight_decay,
        lookback=args.lookback,
        patience=args.patience,
        model_kwargs=model_kwargs,
    )
    config = trainer_config_from_args(args)
    overrides = {
        k: getattr(config, k)
        for k in (
            "accelerator",
            "devices",
            "strategy",
            "num_nodes",
            "precision",
            "deterministic",
            "resume",
            "max_time",
            "limit_train_batches",
        )
        if hasattr(config, k)
    }
    overrides["progress_bar"] = not args.quiet
    with OutputDir(args.output, overwrite=args.overwrite) as out:
        metrics = train_runs(
            options,
            model,
            settings,
            horizon=args.horizon,
            seeds=seeds,
            output=out,
            command=[PROG, *argv],
            trainer_overrides=overrides,
            plot=not args.no_plot,
        )
    print(
        json.dumps(
            {
                k: metrics.get(k)
                for k in ("model", "dataset", "mse", "mae", "test_windows", "train_seconds")
            }
        )
    )
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _evaluate(args: argparse.Namespace, argv: list[str]) -> int:
    out = OutputDir(args.output, overwrite=args.overwrite) if args.output else None
    metrics = evaluate_checkpoint(
        args.checkpoint,
        _source_options(args),
        split=args.on_split,
        device=resolve_device(args.device),
    )
    if out is not None:
        with out as staging:
            write_metrics(staging, metrics, command=[PROG, *argv], seed=args.seed)
    print(
        json.dumps(
            {k: metrics[k] for k in ("model", "dataset", "split", "mse", "mae", "test_windows")}
        )
    )
    return 0


def _predict(args: argparse.Namespace) -> int:
    output = check_output_file(args.output, args.overwrite)
    frame = predict_future(
        args.checkpoint,
        args.data,
        fill=args.fill,
        duplicates=args.duplicates,
        device=resolve_device(args.device),
    )
    with atomic_write(output) as tmp:
        frame.to_csv(tmp, index=False)
    print(
        f"wrote {len(frame)} forecast steps for {len(frame.columns) - 1} target(s) to {output}",
        file=sys.stderr,
    )
    return 0


def _list_models() -> int:
    from panspectra_core.registry import list_models, model_entry

    default = default_model()
    for name in list_models(domain="ts"):
        entry = model_entry(name)
        mark = " (default)" if name == default else ""
        print(f"{name:<20} {','.join(entry.tags):<32} {entry.doc}{mark}")
    return 0


def _info(args: argparse.Namespace) -> int:
    if args.checkpoint is not None:
        meta = load_forecaster(args.checkpoint).meta
        summary = {
            k: getattr(meta, k)
            for k in (
                "model_name",
                "model_kwargs",
                "domain",
                "metrics",
                "config",
                "versions",
                "created",
            )
        }
        pre = dict(meta.preprocessing)
        pre.pop("scaler", None)
        summary["preprocessing"] = pre
    else:
        args.split = getattr(args, "split", None)
        summary = describe_file(_source_options(args), lookback=args.lookback, horizon=args.horizon)
    print(json.dumps(summary, indent=2, default=str))
    return 0


def _main(argv: Sequence[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    apply_common_args(args)
    if args.command == "train":
        return _train(args, argv)
    if args.command == "evaluate":
        return _evaluate(args, argv)
    if args.command == "predict":
        return _predict(args)
    if args.command == "list-models":
        return _list_models()
    return _info(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point (``ts-forecast``); returns the exit code."""
    return run_main(_main, argv)


if __name__ == "__main__":
    sys.exit(main())
