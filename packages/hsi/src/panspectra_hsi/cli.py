"""``hsi-classify``: train | evaluate | predict | list-models | info (thin layer over pipeline).

Examples::

    hsi-classify train --dataset indian_pines --protocol disjoint --seeds 0,1,2 -o runs/ip
    hsi-classify train --cube scene.tif --labels gt.tif --ignore-label 0 -o runs/mine
    hsi-classify predict --checkpoint runs/mine/model.safetensors --cube big_scene.tif -o map.tif
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from panspectra_core.cli import (
    OutputDir,
    UserError,
    add_common_args,
    apply_common_args,
    build_parser,
    check_output_file,
    parse_seeds,
    resolve_device,
    run_main,
    write_metrics,
)
from panspectra_hsi.cli_inputs import fixed_maps, int_list, load_input_scene

log = logging.getLogger("panspectra.hsi")


def _add_scene_args(parser: argparse.ArgumentParser, *, labels: bool = True) -> None:
    group = parser.add_argument_group("input scene (a named --dataset or your own files)")
    group.add_argument("--dataset", help="named dataset (e.g. indian_pines)")
    group.add_argument("--cube", type=Path, help="cube: ENVI .hdr, GeoTIFF/GDAL, .mat, .npy, .npz")
    group.add_argument("--cube-key", help="variable of the cube in a .mat/.npz file")
    if labels:
        group.add_argument("--labels", type=Path, help="label map (same formats), 0 = unlabelled")
        group.add_argument("--labels-key", help="variable of the labels in a .mat/.npz file")
        group.add_argument(
            "--ignore-label", type=int, default=0, help="unlabelled code (default 0)"
        )
        group.add_argument(
            "--class-names", help="comma-separated names of the classes, in code order"
        )
    group.add_argument("--drop-bands", type=int_list, help="0-based bands to drop, e.g. 103,104")


def _add_train_args(parser: argparse.ArgumentParser) -> None:
    from panspectra_core.training import add_trainer_args

    group = parser.add_argument_group("protocol")
    group.add_argument(
        "--model",
        help="registered hsi model (default: the benchmark winner of the protocol; see "
        "list-models)",
    )
    group.add_argument(
        "--protocol",
        choices=("random", "disjoint"),
        default="random",
        help="random stratified sampling or spatially disjoint (Liang et al. 2017)",
    )
    group.add_argument("--train-fraction", type=float, default=0.1, help="per class (default 0.1)")
    group.add_argument("--train-count", type=int, help="training pixels per class (random only)")
    group.add_argument("--min-per-class", type=int, default=5, help="minimum training pixels")
    group.add_argument(
        "--val-fraction",
        type=float,
        help="share of the training pixels used for validation (default 0.1; 0 for the "
        "--protocol disjoint default model, which chooses nothing on validation pixels)",
    )
    group.add_argument(
        "--guard-radius",
        type=int,
        help="disjoint guard band (default: patch radius + --smooth-radius; the patch radius "
        "with --smooth-exclude-training)",
    )
    group.add_argument(
        "--train-labels", type=Path, help="fixed training label map (with --test-labels)"
    )
    group.add_argument("--test-labels", type=Path, help="fixed test label map")
    group.add_argument("--seeds", help="several seeds, e.g. 0,1,2,3,4 (mean ± std reported)")
    hyper = parser.add_argument_group("hyper-parameters (default: the model's recipe)")
    hyper.add_argument("--patch-size", type=int)
    hyper.add_argument("--pca", type=int, help="PCA components fitted on training pixels; 0 = off")
    hyper.add_argument("--lr", type=float)
    hyper.add_argument("--weight-decay", type=float)
    hyper.add_argument("--batch-size", type=int)
    hyper.add_argument("--scheduler", choices=("cosine", "onecycle", "cyclic", "none"))
    hyper.add_argument("--label-smoothing", type=float)
    hyper.add_argument(
        "--balanced-loss",
        action="store_true",
        help="weight each class's loss by n / (K * n_class), like the SVM's balanced weights",
    )
    hyper.add_argument(
        "--no-band-std",
        dest="standardize_bands",
        action="store_false",
        default=None,
        help="one global scale instead of per-band standardization before PCA",
    )
    hyper.add_argument(
        "--nuisance-dims",
        type=int,
        metavar="D",
        help="project the D directions along which the training regions of one class differ "
        "(the scene's drift) out of every spectrum; needs several training fields per class, "
        "else a warning and none (default: 1 for the --protocol disjoint default model, else 0)",
    )
    hyper.add_argument(
        "--monitor",
        choices=("val_loss", "train_loss"),
        help="keep the weights of the epoch with the lowest validation or training loss",
    )
    hyper.add_argument(
        "--ensemble", type=int, help="train N copies and average their probabilities"
    )
    hyper.add_argument(
        "--members",
        type=_name_list,
        help="with --model mixed_ensemble: the models whose probabilities are averaged, each "
        "trained with its own recipe (default ssftt,ssftt,lola_specvit)",
    )
    hyper.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        help="random flips/90° rotations of the training patches",
    )
    _add_inference_args(hyper)
    hyper.add_argument(
        "--smooth-exclude-training",
        action="store_true",
        help="score the test pixels with the training/validation pixels (and every pixel whose "
        "patch reaches one) left out of the smoothing windows: leak-free without a guard band, "
        "so the default guard becomes the patch radius",
    )
    tune = parser.add_argument_group("fine-tuning")
    tune.add_argument(
        "--finetune",
        type=Path,
        metavar="CKPT",
        help="start from a checkpoint (same bands; its preprocessing is reused)",
    )
    tune.add_argument(
        "--lora-rank",
        type=int,
        help="train only LoRA adapters of this rank (and the head); base weights frozen",
    )
    add_trainer_args(parser)


#: ``panspectra_hsi.pipeline.smoothing.SMOOTH_METHODS``, spelled out so that ``--help`` does not
#: import the pipeline (torch); a test keeps the two equal
SMOOTH_CHOICES = ("box", "guided", "random_walker")


def _add_inference_args(group) -> None:
    group.add_argument(
        "--tta", type=int, choices=(1, 2, 4, 8), help="test-time augmentation views (1 = off)"
    )
    group.add_argument(
        "--smooth-radius",
        type=int,
        help="filter the predicted probability map over (2r+1)² pixels (0 = off; no labels); "
        "for random_walker: its diffusion length in pixels",
    )
    group.add_argument(
        "--smooth-method",
        choices=SMOOTH_CHOICES,
        help="box mean, edge-preserving guided filter (guidance: first principal component) "
        "or random walker over the spectrally weighted 8-neighbour pixel graph",
    )


def build_classify_parser() -> argparse.ArgumentParser:
    parser, sub = build_parser(
        "hsi-classify",
        "Hyperspectral pixel classification with leak-free protocols.",
        "panspectra-hsi",
    )
    train = sub.add_parser("train", help="train + evaluate; writes metrics, checkpoint and maps")
    _add_scene_args(train)
    _add_train_args(train)
    add_common_args(train)
    evaluate = sub.add_parser("evaluate", help="metrics of a checkpoint on a labelled scene")
    evaluate.add_argument("--checkpoint", type=Path, required=True)
    _add_scene_args(evaluate)
    add_common_args(evaluate, output_required=False)
    predict = sub.add_parser("predict", help="classify a whole scene tile by tile into MAP.tif")
    predict.add_argument("--checkpoint", type=Path, required=True)
    _add_scene_args(predict, labels=False)
    predict.add_argument("--tile-size", type=int, default=256, help="tile side in pixels")
    predict.add_argument("--batch-size", type=int, default=1024, help="patches per forward pass")
    _add_inference_args(predict.add_argument_group("post-processing (default: the checkpoint's)"))
    add_common_args(predict)
    sub.add_parser("list-models", help="registered hsi models: name, tags, summary")
    info = sub.add_parser("info", help="summary of a dataset, a cube or a checkpoint")
    info.add_argument("--checkpoint", type=Path)
    _add_scene_args(info)
    return parser


def cmd_train(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from panspectra_core.training import trainer_config_from_args
    from panspectra_hsi.pipeline import TrainOptions, run_training
    from panspectra_hsi.pipeline.options import MIXED_ENSEMBLE

    out = OutputDir(args.output, overwrite=args.overwrite)  # refuse before any work
    fixed = args.train_labels is not None or args.test_labels is not None
    if fixed and (args.train_labels is None or args.test_labels is None):
        raise UserError("--train-labels and --test-labels go together")
    if fixed and not args.cube:
        raise UserError("--train-labels/--test-labels need --cube")
    scene = load_input_scene(args)
    test_labels = None
    if fixed:
        scene, test_labels = fixed_maps(args, scene)
    protocol = "fixed" if fixed else args.protocol
    model, defaults = _model_and_defaults(args, protocol)
    options = TrainOptions(
        model=model,
        protocol=protocol,
        train_fraction=args.train_fraction,
        train_count=args.train_count,
        min_per_class=args.min_per_class,
        val_fraction=args.val_fraction,
        guard_radius=args.guard_radius,
        patch_size=args.patch_size,
        pca_components=args.pca,
        epochs=args.max_epochs,
        lr=args.lr,
        weight_decay=args.weight_decay,
        batch_size=args.batch_size,
        scheduler=args.scheduler,
        label_smoothing=args.label_smoothing,
        balanced_loss=args.balanced_loss,
        standardize_bands=args.standardize_bands,
        monitor=args.monitor,
        ensemble=args.ensemble,
        augment=args.augment,
        tta=args.tta,
        smooth_radius=args.smooth_radius,
        smooth_method=args.smooth_method,
        smooth_exclude_training=args.smooth_exclude_training,
        nuisance_dims=args.nuisance_dims,
        finetune=None if args.finetune is None else str(args.finetune),
        lora_rank=args.lora_rank,
        members=args.members,
    )
    for key, value in defaults.items():  # the protocol's default recipe, unless flags say else
        if getattr(options, key) is None or getattr(options, key) is False:
            setattr(options, key, value)
    if args.members and model != MIXED_ENSEMBLE:
        raise UserError(f"--members goes with --model {MIXED_ENSEMBLE}, not --model {model}")
    if args.finetune is not None:
        from panspectra_core.checkpoint import read_checkpoint_meta

        meta = read_checkpoint_meta(args.finetune)
        if args.model and args.model != meta.model_name:
            raise UserError(
                f"--finetune {args.finetune} holds {meta.model_name!r}, not {args.model!r}"
            )
        options.patch_size = int(meta.preprocessing["patch_size"])
    if args.lora_rank is not None and args.lora_rank < 1:
        raise UserError("--lora-rank must be at least 1")
    if args.ensemble is not None and args.ensemble < 1:
        raise UserError(f"--ensemble {args.ensemble}: must be >= 1")
    if (args.smooth_radius or 0) < 0:
        raise UserError(f"--smooth-radius {args.smooth_radius}: must be >= 0")
    if options.patch_size is not None and options.patch_size % 2 == 0:
        raise UserError(f"--patch-size {options.patch_size}: must be odd")
    seeds = parse_seeds(args.seeds) if args.seeds else [args.seed]
    device = resolve_device(args.device)
    trainer_config = trainer_config_from_args(args)
    with out as staging:
        summary = run_training(
            scene,
            options,
            seeds,
            staging,
            trainer_config=trainer_config,
            test_labels=test_labels,
            device=device,
            command=["hsi-classify", *argv],
        )
    from panspectra_hsi.eval import format_headline

    m = summary.metrics
    print(
        f"{options.model} on {scene.name} ({m['protocol']['name']}, seeds {seeds}): "
        f"{format_headline(m.get('seeds_summary', m))}"
    )
    print(
        f"map: {Path(args.output) / 'classification_map.png'}"
        + (
            f", {Path(args.output) / 'classification_map.tif'}"
            if "map_tif" in summary.files
            else ""
        )
    )
    print(f"metrics: {Path(args.output) / 'metrics.json'}")
    return 0


def _load_classifier(path: Path, device):
    from panspectra_core.checkpoint import read_checkpoint_meta
    from panspectra_hsi.pipeline import load_classifier

    if not path.is_file():
        raise UserError(f"--checkpoint {path}: file not found")
    classifier = load_classifier(path)
    classifier.model.to(device)
    return classifier, read_checkpoint_meta(path)


def cmd_evaluate(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from panspectra_hsi.eval import format_headline
    from panspectra_hsi.pipeline import evaluate_classifier

    out = OutputDir(args.output, overwrite=args.overwrite) if args.output else None
    classifier, meta = _load_classifier(args.checkpoint, resolve_device(args.device))
    scene = load_input_scene(args)
    metrics = evaluate_classifier(classifier, scene, checkpoint_config=meta.config)
    metrics["checkpoint"] = str(args.checkpoint)
    print(
        f"{classifier.model_name} on {scene.name} ({metrics['evaluated_on']}): "
        f"{format_headline(metrics)}"
    )
    if out is not None:
        with out as staging:
            write_metrics(staging, metrics, command=["hsi-classify", *argv], seed=args.seed)
        print(f"metrics: {Path(args.output) / 'metrics.json'}")
    return 0


def cmd_predict(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from panspectra_hsi.data import open_cube
    from panspectra_hsi.pipeline import predict_to_file

    output = check_output_file(args.output, args.overwrite)
    if output.suffix.lower() not in (".tif", ".tiff", ".npy"):
        raise UserError(f"--output {output}: expected a .tif/.tiff (GeoTIFF) or .npy path")
    if not args.cube:
        raise UserError("predict needs --cube PATH")
    classifier, _ = _load_classifier(args.checkpoint, resolve_device(args.device))
    if args.smooth_radius is not None and args.smooth_radius < 0:
        raise UserError("--smooth-radius must be >= 0")
    for name in ("tta", "smooth_radius", "smooth_method"):
        if getattr(args, name) is not None:
            setattr(classifier, name, getattr(args, name))
    if classifier.smooth_method == "random_walker" and not classifier.smooth_edge_scale > 0:
        raise UserError(
            f"--smooth-method random_walker: {args.checkpoint} holds no edge scale (trained "
            "with another smoothing); train with --smooth-method random_walker"
        )
    source = open_cube(args.cube, args.cube_key)
    bands = source.shape[2] - len(args.drop_bands or [])
    if bands != classifier.num_bands:
        raise UserError(
            f"{args.cube}: {bands} bands, the checkpoint expects "
            f"{classifier.num_bands}; pass --drop-bands as for training"
        )

    def progress(done: int, total: int) -> None:
        if not args.quiet and (done == total or done % 10 == 0):
            print(f"\r{done}/{total} tiles", end="\n" if done == total else "", file=sys.stderr)

    summary = predict_to_file(
        classifier,
        source,
        output,
        tile_size=args.tile_size,
        batch_size=args.batch_size,
        drop_bands=args.drop_bands,
        progress=progress,
    )
    print(
        f"map: {output} ({summary['shape'][0]}x{summary['shape'][1]} pixels, "
        f"{summary['tiles']} tiles{', georeferenced' if source.is_georeferenced else ''})"
    )
    return 0


def cmd_list_models(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from panspectra_core.registry import list_models, model_entry
    from panspectra_hsi.models.recipes import default_model

    random_default, _ = default_model("random")
    disjoint_default, disjoint_options = default_model("disjoint")
    for name in list_models(domain="hsi"):
        entry = model_entry(name)
        uses = []
        if name == random_default:
            uses.append("default for --protocol random and fixed splits")
        if name == disjoint_default:
            uses.append(f"default for --protocol disjoint, with {_describe(disjoint_options)}")
        marker = "".join(f" ({use})" for use in uses)
        print(f"{name:24s} {','.join(entry.tags):32s} {entry.doc}{marker}")
    return 0


def _describe(options: dict) -> str:
    """``{"members": ["svm", "rf"], "smooth_radius": 6, "balanced_loss": True}`` →
    ``"--members svm,rf --smooth-radius 6 --balanced-loss"``."""
    parts = []
    for key, value in options.items():
        flag = f"--{key.replace('_', '-')}"
        if value is True:
            parts.append(flag)
        else:
            parts.append(f"{flag} {','.join(value) if isinstance(value, list) else value}")
    return " ".join(parts)


def _name_list(text: str) -> list[str]:
    """``"ssftt,ssftt,lola_specvit"`` → ``["ssftt", "ssftt", "lola_specvit"]``."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected comma-separated model names")
    return names


def _model_and_defaults(args: argparse.Namespace, protocol: str) -> tuple[str, dict]:
    """``--model``, else the fine-tuned checkpoint's model, else the protocol's benchmark
    winner with its option overrides (which explicit flags still win over)."""
    from panspectra_hsi.models.recipes import default_model

    if args.model:
        return args.model, {}
    finetuned = _finetuned_model(args.finetune)
    if finetuned:
        return finetuned, {}
    name, defaults = default_model(protocol)
    log.info(
        "no --model: %s%s, the best of the %s benchmark (docs/hsi.md)",
        name,
        f" with {_describe(defaults)}" if defaults else "",
        protocol if protocol != "fixed" else "random",
    )
    return name, defaults


def cmd_info(args: argparse.Namespace, argv: Sequence[str]) -> int:
    if args.checkpoint:
        from dataclasses import asdict

        from panspectra_core.checkpoint import read_checkpoint_meta

        info = asdict(read_checkpoint_meta(args.checkpoint))
    elif args.dataset or args.cube:
        info = load_input_scene(args, labels_required=False).summary()
    else:
        from panspectra_hsi.data import list_named_datasets

        info = {"datasets": list_named_datasets()}
    print(json.dumps(info, indent=2, default=str))
    return 0


_COMMANDS = {
    "train": cmd_train,
    "evaluate": cmd_evaluate,
    "predict": cmd_predict,
    "list-models": cmd_list_models,
    "info": cmd_info,
}


def _classify(argv: Sequence[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_classify_parser().parse_args(argv)
    apply_common_args(args)
    return _COMMANDS[args.command](args, argv)


def classify_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``hsi-classify`` (returns the exit status; 2 on user errors)."""
    return run_main(_classify, argv)


if __name__ == "__main__":
    sys.exit(classify_main())


def _finetuned_model(path: Path | None) -> str | None:
    """Registry name stored in a fine-tuning checkpoint (None without ``--finetune``)."""
    if path is None:
        return None
    from panspectra_core.checkpoint import read_checkpoint_meta

    return read_checkpoint_meta(path).model_name
