"""mol-predict and mol-nmr against the core's bad-input corpus: exit 2, one line naming the
file or option, no traceback, nothing left behind."""

from __future__ import annotations

import pytest
from mol_test_helpers import write_table

from panspectra_core.testing.bad_inputs import (
    DomainTable,
    Verb,
    cases,
    run_case,
    run_good,
    run_in_process,
)

ENTRY = "panspectra_mol.cli:main"
FLAGS = "--model dmpnn --epochs 1 --ensemble 1 --no-descriptors --quiet --threads 1"
PASSED_THROUGH = (
    "predict reads only the SMILES column: the target column of a table may hold anything"
)
CUT_TABLE = (
    "a CSV cut in half is a shorter valid table; a cut SMILES is an invalid molecule, which "
    "is listed in invalid_rows.csv by design, not an error"
)

TABLE = DomainTable(
    domain="mol",
    verbs=[
        Verb(
            "mol-predict train",
            ENTRY,
            f"train --data {{data}} --targets y {FLAGS} --output {{output}}".split(),
            {"data": "csv", "output": "output-dir"},
        ),
        Verb(
            "mol-predict predict",
            ENTRY,
            "predict --checkpoint {checkpoint} --data {data} --quiet --output {output}".split(),
            {"checkpoint": "checkpoint", "data": "csv", "output": "output-file"},
        ),
        Verb(
            "mol-predict predict-forest",
            ENTRY,
            "predict --checkpoint {forest} --data {data} --quiet --output {output}".split(),
            {"forest": "sklearn-checkpoint"},
        ),
        Verb(
            "mol-nmr predict",
            "panspectra_mol.nmr.cli:main",
            "predict --checkpoint {checkpoint} --smiles CCO --quiet".split(),
            {"checkpoint": "checkpoint"},
            outputs=(),
        ),
    ],
    skip={
        **{
            ("mol-predict predict", "data", name): PASSED_THROUGH
            for name in ("csv_inf", "csv_stray_text")
        },
        ("mol-predict train", "data", "truncated"): CUT_TABLE,
        ("mol-predict predict", "data", "truncated"): CUT_TABLE,
    },
)


@pytest.fixture(scope="module")
def good_inputs(tmp_path_factory):
    """A 40-molecule table, a one-epoch D-MPNN trained on it and a small random-forest
    classifier (the corpus's hostile-tree generators build classifier trees)."""
    root = tmp_path_factory.mktemp("mol-good")
    data = write_table(root / "table.csv")
    run = root / "run"
    outcome = run_in_process(
        ENTRY, f"train --data {data} --targets y {FLAGS} --output {run}".split()
    )
    assert outcome.code == 0, outcome.stderr
    forest = root / "forest"
    classes = write_table(root / "classes.csv", classification=True)
    argv = (f"train --data {classes} --targets y --model random_forest --no-descriptors "
            f"--model-kwargs {{\"n_estimators\":5}} --quiet --output {forest}").split()  # fmt: skip
    outcome = run_in_process(ENTRY, argv)
    assert outcome.code == 0, outcome.stderr
    return {"data": data, "checkpoint": run / "model.safetensors",
            "forest": forest / "model.safetensors", "output": root / "p.csv"}  # fmt: skip


def test_the_good_inputs_work(good_inputs, tmp_path):
    for verb in TABLE.verbs[:3]:
        outcome = run_good(verb, good_inputs, tmp_path)
        assert outcome.code == 0, f"{verb.name}: {outcome.stderr}"


@pytest.mark.parametrize("case", cases(TABLE), ids=str)
def test_bad_input(case, good_inputs, tmp_path):
    run_case(case, good_inputs, tmp_path)
