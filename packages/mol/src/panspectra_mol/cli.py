"""``mol-predict``: molecular properties from SMILES (train | evaluate | predict |
list-models | info), declared on the core's domain kit."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from panspectra_core.errors import UserError
from panspectra_core.kit import (
    COMMON_OPTIONS,
    OUTPUT,
    TRAINING_OPTIONS,
    DomainCLI,
    Option,
    RunConfig,
    name_list,
    positive,
)
from panspectra_mol.data.named import property_datasets
from panspectra_mol.data.splits import SPLITS, make_split
from panspectra_mol.data.standardize import STEPS

log = logging.getLogger("panspectra")

DATA_OPTIONS = (
    Option("dataset", str, None, "named dataset", "data", choices=property_datasets),
    Option("data", Path, None, "your CSV / Parquet / SDF / .smi file", "data", metavar="FILE"),
    Option("smiles_column", str, None, "SMILES column (default: detected)", "data",
           metavar="NAME"),
    Option("targets", name_list, None, "target columns, e.g. logS,logD", "data", metavar="A,B"),
    Option("task_kinds", name_list, None,
           "regression or classification per target (default: 0/1 columns = classification)",
           "data", metavar="K,K"),
    Option("standardize", name_list, None,
           f"RDKit standardization steps, any of {','.join(STEPS)} (default: sanitize only)",
           "data", metavar="STEPS"),
    Option("workers", int, 1, "processes featurizing large files", "data", validate=positive),
)  # fmt: skip

TRAIN_OPTIONS = (
    *DATA_OPTIONS,
    Option("split", str, "random", "train/val/test split", "data", choices=SPLITS),
    Option("descriptors", bool, False, "RDKit 2D descriptors at the readout (default: recipe)",
           "model", recipe=True, off_flags=("--no-descriptors",)),
    Option("ensemble", int, 1, "models per seed; the spread is the uncertainty (default: recipe)",
           "model", recipe=True, validate=positive),
    *COMMON_OPTIONS,
    *TRAINING_OPTIONS,
)  # fmt: skip

CHECKPOINT = Option("checkpoint", Path, None, "model.safetensors of a train run", "model",
                    required=True, metavar="CKPT")  # fmt: skip


def task_kinds_of(values: dict[str, Any]) -> list[str]:
    """The task kinds a run will have, read cheaply (manifest, ``--task-kinds`` or the target
    columns); ``[]`` when they cannot be told (the real load then reports the problem)."""
    if values.get("task_kinds"):
        return list(values["task_kinds"])
    try:
        if values.get("dataset"):
            from panspectra_core.datasets import load_manifest

            return [load_manifest("mol", values["dataset"]).format["task"]]
        if values.get("data") and values.get("targets"):
            from panspectra_mol.data.table import infer_task_kinds, read_frame, target_array

            frame = read_frame(values["data"])
            return infer_task_kinds(target_array(frame, values["targets"], ""), None)
    except (UserError, KeyError):
        return []
    return []


#: training budget of the default regression ensemble, in CPU-minutes, shared by its members in
#: order (:func:`panspectra_core.kit.share_in_order`): a Lipophilicity-sized
#: run (3360 training molecules, ~5.9 CPU-s per member epoch on one thread) stays within 10
#: CPU-minutes with featurization and scoring, while ESOL's members (~0.4 CPU-min each) never
#: reach their share and train their 25 epochs
DEFAULT_BUDGET_MINUTES = 8.0

#: the default for regression targets: a D-MPNN (descriptors at the readout) seed ensemble,
#: 5 members of 25 epochs under :data:`DEFAULT_BUDGET_MINUTES` of CPU time. It beat the single
#: 60-epoch D-MPNN on 4 of ESOL's 5 random splits and on average. Every value is a recipe
#: value: a flag the user gives (``--max-train-minutes``, ``--budget-clock``, ``--epochs``, …) wins.
DEFAULT_REGRESSION = (
    "dmpnn",
    {"ensemble": 5, "epochs": 25, "max_train_minutes": DEFAULT_BUDGET_MINUTES,
     "budget_clock": "cpu"},
)  # fmt: skip


def default_model(values: dict[str, Any]) -> str | tuple[str, dict[str, Any]]:
    """The benchmark winner per task kind (docs/mol.md, tools/bench/results/mol_moleculenet.md
    marks it): the random forest when every target is a classification target (BBBP), else
    :data:`DEFAULT_REGRESSION`."""
    kinds = task_kinds_of(values)
    if kinds and set(kinds) == {"classification"}:
        return "random_forest"
    return DEFAULT_REGRESSION[0], dict(DEFAULT_REGRESSION[1])


app = DomainCLI(
    prog="mol-predict",
    description="Molecular properties from SMILES: train D-MPNN / Graph Transformer / GPS / "
    "random-forest models on MoleculeNet or your own table, evaluate and predict.",
    domain="mol",
    model_tag="predict",
    default_model=default_model,
    components={"splits": SPLITS},
)


@app.verb("train", options=TRAIN_OPTIONS, output="dir", help="train and score on the test part")
def train(cfg: RunConfig, out: Path) -> dict:
    from panspectra_mol.pipeline.train import run_train

    return run_train(cfg, out)


@app.verb(
    "evaluate",
    options=(CHECKPOINT, *DATA_OPTIONS,
             Option("split", str, None, "score this split's test part (default: every row)",
                    "data", choices=SPLITS),
             Option("seed", int, 0, "split seed", "run"), *COMMON_OPTIONS[:2], COMMON_OPTIONS[4],
             COMMON_OPTIONS[6]),
    output="dir",
    help="score a checkpoint on labelled molecules",
)  # fmt: skip
def evaluate(cfg: RunConfig, out: Path) -> dict:
    from panspectra_mol.pipeline.predict import MolPredictor
    from panspectra_mol.pipeline.scoring import (
        prediction_frame,
        score_targets,
        write_csv,
        write_plots,
    )
    from panspectra_mol.pipeline.train import load_input_table, write_table_report

    predictor = MolPredictor.load(cfg.checkpoint)
    names = predictor.target_names
    if cfg.get("data") and not cfg.get("targets"):
        cfg = cfg.replace(targets=names)
    if not cfg.get("standardize"):
        cfg = cfg.replace(standardize=predictor.prep.standardizer.steps)
    table = load_input_table(cfg)
    if table.target_names != names and len(table.target_names) == len(names):
        log.info("scoring %s against the model's %s", table.target_names, names)
    elif table.target_names != names:
        raise UserError(f"{table.source}: targets {table.target_names} differ from the model's "
                        f"{names}; pass --targets with {len(names)} column(s)")  # fmt: skip
    report = write_table_report(table, out)
    index = make_split(cfg.split, table.canonical, cfg.seed)[2] if cfg.split else None
    part = table if index is None else table.subset(index)
    values, spread = predictor.predict_valid(part.canonical)
    metrics = score_targets(names, predictor.prep.task_kinds, part.targets, values)
    frame = prediction_frame(part.rows, part.smiles, part.canonical, names, values, spread,
                             part.targets)  # fmt: skip
    write_csv(frame, out / "predictions.csv")
    write_plots(out, names, predictor.prep.task_kinds, part.targets, values)
    return {**metrics, **report, "n_test": len(part), "split": cfg.split or "all"}


@app.verb(
    "predict",
    options=(CHECKPOINT, *DATA_OPTIONS[1:3], DATA_OPTIONS[-1],
             Option("smiles", name_list, None, "SMILES given on the command line", "data"),
             OUTPUT, COMMON_OPTIONS[1], COMMON_OPTIONS[4], COMMON_OPTIONS[6]),
    output="file",
    help="predict every row of a file: one output row per input row",
)  # fmt: skip
def predict(cfg: RunConfig, out: Path) -> dict:
    from panspectra_mol.pipeline.predict import MolPredictor, predict_file
    from panspectra_mol.pipeline.scoring import write_csv

    if (cfg.get("data") is None) == (cfg.get("smiles") is None):
        raise UserError("give exactly one of --data FILE or --smiles S1,S2")
    predictor = MolPredictor.load(cfg.checkpoint)
    if cfg.get("data") is not None:
        rows, bad = predict_file(predictor, cfg.data, cfg.get("smiles_column"), out,
                                 workers=cfg.workers)  # fmt: skip
    else:
        result = predictor.predict_smiles(list(cfg.smiles))
        write_csv(result, out)
        rows, bad = len(result), int((~result["valid"]).sum())
    print(f"wrote {out}: {rows} rows, {bad} invalid SMILES flagged")
    return {"n_rows": rows, "n_invalid": bad}


main = app.main


if __name__ == "__main__":
    raise SystemExit(main())
