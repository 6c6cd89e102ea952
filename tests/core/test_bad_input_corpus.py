"""The bad-input harness itself: every corpus entry builds from a good example of its formats,
the runner catches each way a CLI can break the contract (exit code, extra lines, traceback,
leftovers, crash, hang), and a CLI that keeps the contract passes the whole .npy/.csv/output
corpus."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from panspectra_core.checkpoint import save_checkpoint
from panspectra_core.errors import UserError
from panspectra_core.testing import bad_inputs as bi
from panspectra_core.testing.hostile_checkpoints import NotApplicable
from tests.core.fixtures.checkpoint_model import NAME, TinyMLP

ENTRY = "tests.core.test_bad_input_corpus:fake_main"


def _load_npy(path: Path) -> np.ndarray:
    """A careful .npy reader: the reference behaviour the corpus asks of every loader."""
    if not path.is_file():
        raise UserError(f"--data {path}: not a file")
    try:
        with path.open("rb") as fh:
            version = np.lib.format.read_magic(fh)
            read_header = getattr(np.lib.format, f"read_array_header_{version[0]}_0")
            shape, _, dtype = read_header(fh)
            if dtype.kind not in "fiu" or np.prod(shape) * dtype.itemsize > path.stat().st_size:
                raise ValueError(f"dtype {dtype}, shape {shape}")
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise UserError(f"--data {path}: not a numeric .npy ({exc})") from None
    if array.ndim != 2 or 0 in array.shape or not np.isfinite(array).all():
        raise UserError(f"--data {path}: expected a finite 2-D array, got {array.shape}")
    return array


def fake_main(argv: list[str]) -> int:
    """A tiny CLI: ``MODE --data X.npy --output Y.npy``; MODE picks how it misbehaves."""
    mode, data, output = argv[0], Path(argv[2]), Path(argv[4])
    if mode == "segfault":
        os.kill(os.getpid(), signal.SIGSEGV)
    if mode == "hang":
        time.sleep(60)
    if mode == "leftover":
        (output.parent / f".{output.name}.partial-x").write_text("half")
    if mode == "traceback":
        raise RuntimeError("boom")
    if mode == "two_lines":
        print("warning: something", file=sys.stderr)
    try:
        array = _load_npy(data)
        if output.exists():
            raise UserError(f"--output {output}: exists (use --overwrite)")
        if not output.parent.is_dir():
            raise UserError(f"--output {output}: folder {output.parent} does not exist")
    except UserError as exc:
        print(f"fake: error: {exc}", file=sys.stderr)
        return 2
    np.save(output, array * 2)
    return 0


VERB = bi.Verb(
    "fake run",
    ENTRY,
    "good --data {data} --output {output}".split(),
    {"data": "npy", "output": "output-file"},
)
TABLE = bi.DomainTable("fake", [VERB], timeout=5.0)


@pytest.fixture(scope="module")
def good_files(tmp_path_factory):
    """One good example per corpus format."""
    from PIL import Image
    from scipy.io import savemat

    root = tmp_path_factory.mktemp("good")
    array = np.arange(24, dtype=np.float32).reshape(4, 6)
    files = {"npy": root / "a.npy", "npz": root / "a.npz", "mat": root / "a.mat"}
    np.save(files["npy"], array)
    np.savez(files["npz"], a=array)
    savemat(files["mat"], {"a": array})
    files["csv"] = root / "a.csv"
    files["csv"].write_text("date,x,y\n2024-01-01,1.0,2.0\n2024-01-02,3.0,4.0\n")
    files["tif"] = root / "a.tif"
    Image.fromarray(array).save(files["tif"])  # a float32 TIFF; the corpus edits its bytes
    files["checkpoint"] = save_checkpoint(
        root / "m.safetensors",
        TinyMLP(3, 4, 2),
        model_name=NAME,
        model_kwargs={"in_features": 3, "hidden": 4, "out_features": 2},
        domain="test",
        extra_tensors={"band_std": torch.ones(3)},
    )
    files["output-file"] = root / "out.npy"
    files["output-dir"] = root / "run"
    return files


@pytest.mark.parametrize("entry", bi.CORPUS, ids=lambda entry: entry.name)
def test_every_entry_builds_from_a_good_example(entry, good_files, tmp_path):
    for fmt in sorted(entry.formats - {"sklearn-checkpoint"}):  # needs a fitted forest: hsi
        dest = tmp_path / f"{fmt}-{entry.name}{good_files[fmt].suffix}"
        try:
            made = entry.make(good_files[fmt], dest)
        except NotApplicable:
            continue
        assert isinstance(made, Path) and made != good_files[fmt]
        if fmt in bi.INPUT_FORMATS:
            assert good_files[fmt].is_file()  # generators never touch the good example


def test_the_corpus_names_are_unique_and_cover_every_format():
    names = [entry.name for entry in bi.CORPUS]
    assert len(names) == len(set(names))
    covered = set().union(*(entry.formats for entry in bi.CORPUS))
    assert covered == set(bi.INPUT_FORMATS) | bi.OUTPUT_FORMATS


def test_a_careful_cli_passes_its_whole_corpus(good_files, tmp_path):
    params = bi.cases(TABLE)
    assert len(params) == len([e for e in bi.CORPUS if e.formats & {"npy", "output-file"}])
    for param in params:
        case = param.values[0]
        work = tmp_path / str(case)
        work.mkdir()
        bi.run_case(case, {"data": good_files["npy"], "output": good_files["output-file"]}, work)


@pytest.mark.parametrize(
    ("mode", "isolate", "message"),
    [
        ("good", False, "exit 0"),
        ("traceback", False, "Traceback"),
        ("two_lines", False, "warning: something"),
        ("leftover", False, "left behind"),
        ("segfault", True, f"exit {-signal.SIGSEGV}"),
        ("hang", True, "killed after 5.0 s"),
    ],
)
def test_the_runner_catches_every_breach(mode, isolate, message, good_files, tmp_path):
    """A missing .npy must be refused; each ``mode`` misbehaves one way and the runner says so
    (crashes and hangs contained in a forked child)."""
    verb = bi.Verb(VERB.name, ENTRY, [mode, *VERB.argv[1:]], VERB.roles)
    bad = next(e for e in bi.CORPUS if e.name == "missing")
    if mode == "good":  # "good" mode on a good file exits 0: the runner must flag that too
        bad = bi.BadInput("not_bad", frozenset({"npy"}), lambda good, dest: good)
    case = bi.Case(TABLE, verb, "data", bi.BadInput(bad.name, bad.formats, bad.make, isolate))
    with pytest.raises(AssertionError, match=message):
        bi.run_case(
            case, {"data": good_files["npy"], "output": good_files["output-file"]}, tmp_path
        )
