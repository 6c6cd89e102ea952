"""End-to-end: the real mol-predict and mol-nmr CLIs in-process on small real data (marked
``data``) and on small hand-written tables; invalid SMILES and bad tables."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mol_test_helpers import write_table

from panspectra_mol.cli import main as predict_main
from panspectra_mol.nmr.cli import main as nmr_main

FAST = ["--epochs", "2", "--quiet", "--threads", "1"]


def _error(capsys, main, argv) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    return err


def _esol_subset(tmp_path: Path, rows: int = 80) -> Path:
    source = Path(os.environ["PANSPECTRA_DATA"]) / "molecules" / "ESOL" / "delaney-processed.csv"
    frame = pd.read_csv(source).head(rows)[["smiles", "measured log solubility in mols per litre"]]
    frame.columns = ["smiles", "logS"]
    bad = pd.DataFrame({"smiles": ["C1CC(", "not a molecule"], "logS": [0.0, 1.0]})
    frame = pd.concat([frame.iloc[:10], bad, frame.iloc[10:]], ignore_index=True)
    path = tmp_path / "esol_small.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.data
def test_train_predict_evaluate_on_real_esol_rows(tmp_path):
    data = _esol_subset(tmp_path)
    run = tmp_path / "run"
    argv = ["train", "--data", str(data), "--targets", "logS", "--ensemble", "2", *FAST,
            "--output", str(run)]  # fmt: skip
    assert predict_main(argv) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    for key in ("rmse", "mae", "r2", "split", "n_train", "n_test", "train_seconds"):
        assert key in metrics
    assert (
        metrics["n_invalid"] == 2
        and metrics["n_train"] + metrics["n_val"] + metrics["n_test"] == 80
    )
    invalid = pd.read_csv(run / "invalid_rows.csv")
    assert invalid["row"].tolist() == [11, 12]
    test_rows = pd.read_csv(run / "predictions_test.csv")
    assert len(test_rows) == metrics["n_test"] and "std_logS" in test_rows
    assert (run / "parity_logS.png").is_file()

    preds = tmp_path / "preds.csv"
    ckpt = str(run / "model.safetensors")
    assert predict_main(["predict", "--checkpoint", ckpt, "--data", str(data), "--output",
                         str(preds), "--quiet"]) == 0  # fmt: skip
    out = pd.read_csv(preds)
    assert len(out) == 82 and out["valid"].tolist().count(False) == 2
    assert out.loc[~out["valid"], "pred_logS"].isna().all()
    assert np.isfinite(out.loc[out["valid"], "pred_logS"]).all()

    again = tmp_path / "eval"
    assert predict_main(["evaluate", "--checkpoint", ckpt, "--data", str(data), "--split",
                         "random", "--output", str(again), "--quiet"]) == 0  # fmt: skip
    scored = json.loads((again / "metrics.json").read_text())
    assert scored["rmse"] == pytest.approx(metrics["rmse"], rel=1e-5)


def test_classification_with_forest_and_scaffold_split(tmp_path):
    data = write_table(tmp_path / "c.csv", classification=True)
    run = tmp_path / "rf"
    argv = ["train", "--data", str(data), "--targets", "y", "--model", "random_forest",
            "--split", "scaffold", "--model-kwargs", '{"n_estimators": 20}', "--quiet",
            "--output", str(run)]  # fmt: skip
    assert predict_main(argv) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["task_kinds"] == ["classification"] and "accuracy" in metrics
    assert metrics["split"] == "scaffold"


def test_multitask_with_missing_values(tmp_path):
    path = write_table(tmp_path / "t.csv")
    frame = pd.read_csv(path)
    frame["z"] = (frame["y"] > frame["y"].median()).astype(float)
    frame.loc[::4, "y"] = np.nan
    frame.loc[1::4, "z"] = np.nan
    frame.to_csv(path, index=False)
    run = tmp_path / "mt"
    argv = ["train", "--data", str(path), "--targets", "y,z", "--model", "dmpnn",
            "--no-descriptors", *FAST, "--output", str(run)]  # fmt: skip
    assert predict_main(argv) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert set(metrics["per_target"]) == {"y", "z"}
    assert "rmse" in metrics["per_target"]["y"] and "accuracy" in metrics["per_target"]["z"]


@pytest.mark.parametrize(
    ("content", "flags", "expected"),
    [
        ("smiles,y\nCCO,1\n", ["--targets", "missing"], "target column(s) 'missing' not found"),
        ("smiles,y\nCCO,abc\nCCC,1\n", ["--targets", "y"], "'abc' is not a number"),
        ("", ["--targets", "y"], "empty file"),
        ("smiles,y\n", ["--targets", "y"], "no data rows"),
        ("smiles,y\nC1CC(,1\nxyz,2\n", ["--targets", "y"], "none of the 2 rows"),
        ("mol_text,y\nCCO,1\n", ["--targets", "y", "--smiles-column", "smi"],
         "SMILES column 'smi' not found"),
        ("a,y\n1,2\n", ["--targets", "y"], "no SMILES column found"),
    ],
)  # fmt: skip
def test_bad_tables_are_one_line_errors_and_write_nothing(tmp_path, capsys, content, flags,
                                                          expected):  # fmt: skip
    path = tmp_path / "t.csv"
    path.write_text(content)
    out = tmp_path / "run"
    err = _error(capsys, predict_main, ["train", "--data", str(path), *flags, "--output",
                                        str(out)])  # fmt: skip
    assert expected in err and not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".run")]


def test_smiles_column_is_detected_by_content(tmp_path):
    from panspectra_mol.data.table import load_table

    path = tmp_path / "t.csv"
    path.write_text("id,structure_text,y\n1,CCO,1.0\n2,c1ccccc1,2.0\n3,CCN,\n")
    table = load_table(path, targets=["y"])
    assert table.smiles_column == "structure_text" and len(table) == 3
    assert np.isnan(table.targets[2, 0])


@pytest.mark.data
@pytest.mark.slow
def test_nmr_train_evaluate_predict_rank_on_real_spectra(tmp_path, capsys):
    run = tmp_path / "nmr"
    argv = ["train", "--max-molecules", "60", "--test-molecules", "12", "--epochs", "1",
            "--quiet", "--threads", "1", "--output", str(run)]  # fmt: skip
    assert nmr_main(argv) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["n_test"] == 12 and metrics["n_test_atoms"] > 12
    assert np.isfinite(metrics["mae_ppm"]) and "per_environment" in metrics
    ckpt = str(run / "model.safetensors")
    assert nmr_main(["evaluate", "--checkpoint", ckpt, "--quiet", "--output",
                     str(tmp_path / "ev")]) == 0  # fmt: skip
    scored = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert scored["mae_ppm"] == pytest.approx(metrics["mae_ppm"], rel=1e-5)

    capsys.readouterr()
    picture = tmp_path / "aspirin.png"
    assert nmr_main(["predict", "--checkpoint", ckpt, "--smiles", "CC(=O)Oc1ccccc1C(=O)O",
                     "--picture", str(picture)]) == 0  # fmt: skip
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("atom") and len(printed) == 1 + 9 + 1  # header, 9 C, file
    assert picture.read_bytes()[:4] == b"\x89PNG"

    atoms = pd.read_csv(run / "predictions_test_atoms.csv")
    first = atoms[atoms["mol_id"] == atoms["mol_id"].iloc[0]]
    peaks = tmp_path / "peaks.txt"
    peaks.write_text("\n".join(f"{v:.2f}" for v in first["shift_ppm"]) + "\n")
    cands = tmp_path / "c.smi"
    cands.write_text(f"CCCCCCCC\n{first['smiles'].iloc[0]}\nc1ccccc1\n")
    assert nmr_main(["rank", "--checkpoint", ckpt, "--peaks", str(peaks), "--candidates",
                     str(cands)]) == 0  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("rank") and len(lines) == 4


@pytest.mark.data
@pytest.mark.slow
def test_nmr_train_ensemble_records_each_member(tmp_path):
    run = tmp_path / "nmr_ens"
    argv = ["train", "--max-molecules", "40", "--test-molecules", "8", "--epochs", "2",
            "--ensemble", "2", "--quiet", "--threads", "1", "--output", str(run)]  # fmt: skip
    assert nmr_main(argv) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["ensemble"] == 2 and metrics["epochs"] == [2, 2]
    assert len(metrics["best_epoch"]) == 2 and all(1 <= e <= 2 for e in metrics["best_epoch"])
    assert all(v > 0 for v in metrics["val_mae_ppm"]) and np.isfinite(metrics["mae_ppm"])
    assert nmr_main(["evaluate", "--checkpoint", str(run / "model.safetensors"), "--quiet",
                     "--output", str(tmp_path / "ev")]) == 0  # fmt: skip
    scored = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert scored["mae_ppm"] == pytest.approx(metrics["mae_ppm"], rel=1e-5)


def test_nmr_rank_bad_inputs(tmp_path, capsys):
    peaks = tmp_path / "p.txt"
    peaks.write_text("12.0\n")
    argv = ["rank", "--checkpoint", str(tmp_path / "none"), "--peaks", str(peaks),
            "--candidates", str(tmp_path / "c.smi")]  # fmt: skip
    err = _error(capsys, nmr_main, argv)
    assert "not found" in err


def test_default_model_per_task_kind_and_user_flags_win(tmp_path):
    from panspectra_mol.cli import DEFAULT_BUDGET_MINUTES, DEFAULT_REGRESSION, app

    verb = app.verbs["train"]
    out = tmp_path / "run"
    regression = write_table(tmp_path / "r.csv")
    base = {"data": regression, "targets": ["y"], "output": out}
    cfg = app.resolve(verb, base)
    chosen = (cfg.model, cfg.ensemble, cfg.epochs, cfg.max_train_minutes, cfg.budget_clock)
    assert chosen == ("dmpnn", 5, 25, DEFAULT_BUDGET_MINUTES, "cpu")
    assert chosen == (DEFAULT_REGRESSION[0], *DEFAULT_REGRESSION[1].values())
    assert cfg.sources["max_train_minutes"] == cfg.sources["budget_clock"] == "recipe"
    cfg = app.resolve(verb, {**base, "epochs": 3})
    assert (cfg.ensemble, cfg.epochs, cfg.max_train_minutes) == (5, 3, DEFAULT_BUDGET_MINUTES)
    cfg = app.resolve(verb, {**base, "max_train_minutes": 30.0, "budget_clock": "wall"})
    assert (cfg.max_train_minutes, cfg.budget_clock) == (30.0, "wall")  # the user's budget
    assert cfg.sources["max_train_minutes"] == "user"
    cfg = app.resolve(verb, {**base, "model": "dmpnn"})
    # the model's own recipe: one network, no budget
    assert (cfg.ensemble, cfg.epochs, cfg.max_train_minutes, cfg.budget_clock) == (
        1, 60, None, "wall",
    )  # fmt: skip
    labels = write_table(tmp_path / "c.csv", classification=True)
    cfg = app.resolve(verb, {"data": labels, "targets": ["y"], "output": out})
    assert (cfg.model, cfg.max_train_minutes) == ("random_forest", None)


def test_budget_shared_in_order_and_recorded(tmp_path):
    """Five members under a 0.05-minute budget: each member's share is what the ones before
    it left, divided by the members left, and metrics.json records the choice."""
    regression = write_table(tmp_path / "r.csv")
    run = tmp_path / "run"
    argv = ["train", "--data", str(regression), "--targets", "y", "--epochs", "200",
            "--max-train-minutes", "0.05", "--budget-clock", "cpu", "--patience", "1000", "--quiet",
            "--threads", "1",
            "--output", str(run)]  # fmt: skip
    assert predict_main(argv) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    budget = metrics["budget"]
    assert (budget["max_train_minutes"], budget["clock"], budget["source"]) == (0.05, "cpu", "user")
    assert metrics["ensemble"] == 5 and len(budget["member_seconds"]) == 5
    assert budget["member_seconds"][0] == 0.6 and all(budget["stopped_by_budget"])
    assert max(metrics["epochs"]) < 200


def test_nmr_default_is_the_benchmarked_ensemble_recipe(tmp_path):
    from panspectra_mol.nmr.cli import app

    verb = app.verbs["train"]
    out = tmp_path / "run"
    cfg = app.resolve(verb, {"output": out})
    assert (cfg.model, cfg.ensemble, cfg.epochs, cfg.patience) == ("nmr_dmpnn", 3, 60, 60)
    assert app.resolve(verb, {"model": "nmr_dmpnn", "output": out}).ensemble == 3
    cfg = app.resolve(verb, {"ensemble": 1, "epochs": 5, "output": out})
    assert (cfg.ensemble, cfg.epochs) == (1, 5)  # user flags win
    cfg = app.resolve(verb, {"model": "nmr_dmpnn3d", "output": out})
    assert (cfg.ensemble, cfg.epochs, cfg.patience) == (1, 40, 10)  # its own recipe
