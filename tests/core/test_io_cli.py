import argparse
from pathlib import Path

import pytest
import torch

from panspectra_core.cli import (
    UserError,
    add_common_args,
    apply_common_args,
    cpu_description,
    parse_seeds,
    resolve_device,
    run_main,
    summarize_seeds,
    write_metrics,
)
from panspectra_core.io import OutputDir, atomic_write, check_output_file


def test_output_dir_moves_into_place_only_on_success(tmp_path):
    target = tmp_path / "run"
    with OutputDir(target) as out:
        (out / "metrics.json").write_text("{}")
        assert not target.exists()
    assert (target / "metrics.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no staging left behind


def test_output_dir_failure_leaves_nothing(tmp_path):
    target = tmp_path / "run"
    with pytest.raises(RuntimeError), OutputDir(target) as out:
        (out / "half.txt").write_text("x")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_output_dir_refuses_non_empty_without_overwrite(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    (target / "old.txt").write_text("keep me")
    with pytest.raises(UserError, match="--overwrite"):
        OutputDir(target)
    assert (target / "old.txt").read_text() == "keep me"
    with OutputDir(target, overwrite=True) as out:
        (out / "new.txt").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]


def test_output_dir_creates_missing_parents(tmp_path):
    with OutputDir(tmp_path / "runs" / "first") as out:
        (out / "m.json").write_text("{}")
    assert (tmp_path / "runs" / "first" / "m.json").exists()


def test_output_dir_resume_starts_from_previous_files(tmp_path):
    target = tmp_path / "run"
    with OutputDir(target) as out:
        (out / "last.ckpt").write_text("state")
    with OutputDir(target, resume=True) as out:
        assert (out / "last.ckpt").read_text() == "state"


def test_atomic_write_and_check_output_file(tmp_path):
    path = tmp_path / "a.csv"
    with atomic_write(path) as tmp:
        tmp.write_text("1,2\n")
    assert path.read_text() == "1,2\n"
    with pytest.raises(UserError, match="exists"):
        check_output_file(path, overwrite=False)
    assert check_output_file(path, overwrite=True) == path
    nested = check_output_file(tmp_path / "new" / "x.tif", overwrite=False)
    assert nested.parent.is_dir()  # parents are created, like `mkdir -p`


def test_run_main_turns_user_errors_into_exit_2(capsys):
    def bad(argv):
        raise UserError("cube.tif: expected 3 dimensions,\n got 2")

    assert run_main(bad, []) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error: cube.tif: expected 3 dimensions, got 2" in err
    assert run_main(lambda argv: 0, []) == 0


def test_metrics_and_seed_helpers(tmp_path):
    import json

    path = write_metrics(
        tmp_path, {"oa": 0.9, "nan": float("nan"), "arr": torch.tensor([1, 2])}, seed=3
    )
    data = json.loads(path.read_text())
    assert data["oa"] == 0.9 and data["nan"] is None and data["arr"] == [1, 2]
    assert data["run"]["seed"] == 3 and "torch" in data["run"]["versions"]
    assert data["run"]["cpu"] == cpu_description()
    if Path("/proc/cpuinfo").exists():  # Linux: says whether the CPU has bf16 units
        assert "bf16" in data["run"]["cpu"]
    assert parse_seeds("0,1,2") == [0, 1, 2] and parse_seeds("0-4") == [0, 1, 2, 3, 4]
    with pytest.raises(UserError):
        parse_seeds("a,b")
    s = summarize_seeds([{"oa": 0.9}, {"oa": 0.8}, {"oa": 1.0}], ["oa", "missing"])
    assert s["oa"]["mean"] == pytest.approx(0.9) and s["oa"]["std"] == pytest.approx(0.1)
    assert "missing" not in s


def test_resolve_device():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(UserError, match="--device"):
        resolve_device("floppy")


def test_common_threads_flag_sets_torch_threads_and_rejects_zero():
    parser = argparse.ArgumentParser()
    add_common_args(parser)
    before = torch.get_num_threads()
    try:
        apply_common_args(parser.parse_args(["--output", "x", "--threads", "1", "--quiet"]))
        assert torch.get_num_threads() == 1
        with pytest.raises(UserError, match="--threads 0: must be at least 1"):
            apply_common_args(parser.parse_args(["--output", "x", "--threads", "0"]))
        apply_common_args(parser.parse_args(["--output", "x"]))  # no --threads: unchanged
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
