"""ts-forecast train/predict/evaluate against the core's bad-input corpus: exit 2, one line
naming the file or option, no traceback, nothing left behind."""

from __future__ import annotations

import pytest
from ts_test_helpers import STAND_IN, make_series_frame

from panspectra_core.testing.bad_inputs import (
    CHECKPOINTS,
    BadInput,
    DomainTable,
    Verb,
    cases,
    run_case,
    run_good,
    run_in_process,
)
from panspectra_core.testing.hostile_checkpoints import edited

ENTRY = "panspectra_ts.cli:main"
FLAGS = f"--model {STAND_IN} --lookback 24 --horizon 6 --epochs 1 --quiet --accelerator cpu"


def _lookback_text(raw: dict, tensors: dict) -> None:
    raw["preprocessing"]["lookback"] = str(raw["preprocessing"]["lookback"])


def _no_targets(raw: dict, tensors: dict) -> None:
    del raw["preprocessing"]["targets"]


def _short_targets(raw: dict, tensors: dict) -> None:
    raw["preprocessing"]["targets"] = raw["preprocessing"]["targets"][:-1]


def _huge_horizon(raw: dict, tensors: dict) -> None:
    raw["preprocessing"]["horizon"] = 10**9


TS_ENTRIES = {
    "ts_lookback_text": _lookback_text,
    "ts_no_targets": _no_targets,
    "ts_short_targets": _short_targets,
    "ts_huge_horizon": _huge_horizon,
}

TABLE = DomainTable(
    domain="ts",
    extra=[BadInput(name, CHECKPOINTS, edited(edit)) for name, edit in TS_ENTRIES.items()],
    verbs=[
        Verb(
            "ts-forecast train",
            ENTRY,
            f"train --data {{data}} {FLAGS} --output {{output}}".split(),
            {"data": "csv", "output": "output-dir"},
        ),
        Verb(
            "ts-forecast predict",
            ENTRY,
            "predict --checkpoint {checkpoint} --data {data} --quiet --output {output}".split(),
            {"checkpoint": "checkpoint", "data": "csv", "output": "output-file"},
        ),
        Verb(
            "ts-forecast evaluate",
            ENTRY,
            "evaluate --checkpoint {checkpoint} --data {data} --quiet".split(),
            {"checkpoint": "checkpoint", "data": "csv"},
            outputs=(),
        ),
    ],
)


@pytest.fixture(scope="module")
def good_inputs(tmp_path_factory):
    """A 300-row hourly CSV and a one-epoch stand-in forecaster trained on it."""
    root = tmp_path_factory.mktemp("ts-good")
    data = root / "series.csv"
    make_series_frame(300).to_csv(data, index=False)
    run = root / "run"
    outcome = run_in_process(ENTRY, f"train --data {data} {FLAGS} --output {run}".split())
    assert outcome.code == 0, outcome.stderr
    return {"data": data, "checkpoint": run / "model.safetensors", "output": root / "f.csv"}


def test_the_good_inputs_work(good_inputs, tmp_path):
    """The corpus means something only if the unbroken inputs pass every verb."""
    for verb in TABLE.verbs:
        outcome = run_good(verb, good_inputs, tmp_path)
        assert outcome.code == 0, f"{verb.name}: {outcome.stderr}"


@pytest.mark.parametrize("case", cases(TABLE))
def test_bad_input(case, good_inputs, tmp_path):
    run_case(case, good_inputs, tmp_path)
