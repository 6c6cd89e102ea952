import argparse
import os
import subprocess
import sys
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
from panspectra_core.io import (
    PROGRESS_DIR,
    OutputDir,
    _host,
    atomic_write,
    check_output_file,
    progress_dir_for,
)


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


def test_output_dir_resume_continues_an_interrupted_run_and_refuses_a_finished_one(tmp_path):
    target = tmp_path / "run"
    with OutputDir(target) as out:
        (out / "metrics.json").write_text("{}")
    with pytest.raises(UserError, match=r"finished run.*--overwrite"):
        OutputDir(target, resume=True)  # nothing to resume: would silently retrain
    interrupted = tmp_path / "interrupted"
    (interrupted / PROGRESS_DIR / "train").mkdir(parents=True)
    (interrupted / PROGRESS_DIR / "train" / "last.ckpt").write_text("state")
    with pytest.raises(UserError, match=r"interrupted run.*--resume.*--overwrite"):
        OutputDir(interrupted)
    with OutputDir(interrupted, resume=True) as out:
        assert progress_dir_for(out / "train") == interrupted / PROGRESS_DIR / "train"
        assert (progress_dir_for(out / "train") / "last.ckpt").read_text() == "state"
        assert not (out / PROGRESS_DIR).exists()  # progress is not copied into the outputs
        (out / "metrics.json").write_text("{}")
    assert sorted(p.name for p in interrupted.iterdir()) == ["metrics.json"]  # progress gone
    assert progress_dir_for(tmp_path / "elsewhere") is None


def test_output_dir_overwrite_discards_progress_and_failure_keeps_only_saved_progress(tmp_path):
    target = tmp_path / "run"
    (target / PROGRESS_DIR).mkdir(parents=True)
    (target / PROGRESS_DIR / "last.ckpt").write_text("old")
    with pytest.raises(RuntimeError), OutputDir(target, overwrite=True) as out:
        assert not (target / PROGRESS_DIR).exists()  # --overwrite starts over
        raise RuntimeError("bad input found before any checkpoint")
    assert list(tmp_path.iterdir()) == []  # nothing at all is left
    with pytest.raises(RuntimeError), OutputDir(target) as out:
        saved = progress_dir_for(out / "train") / "lightning" / "last.ckpt"
        saved.parent.mkdir(parents=True)
        saved.write_text("epoch 3")
        raise RuntimeError("crash after a checkpoint")
    assert saved.read_text() == "epoch 3"  # kept for --resume
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_staging_and_partial_files_of_dead_processes_are_removed(tmp_path):
    target = tmp_path / "run"
    host = _host()
    dead, alive = _dead_pid(), os.getpid()
    stale = tmp_path / f".run.partial-{host}-{dead}-abc123"
    live = tmp_path / f".run.partial-{host}-{alive}-def456"
    other_host = tmp_path / f".run.partial-otherhost-{dead}-x"
    for folder in (stale, live, other_host):
        folder.mkdir()
    with OutputDir(target) as out:
        (out / "m.json").write_text("{}")
    assert not stale.exists() and live.exists() and other_host.exists()

    tif = tmp_path / "map.tif"
    stale_file = tmp_path / f".map.{host}-{dead}-q1w2.partial.tif"
    live_file = tmp_path / f".map.{host}-{alive}-e3r4.partial.tif"
    for file in (stale_file, live_file, Path(f"{stale_file}.aux.xml")):
        file.write_text("half")
    check_output_file(tif, overwrite=False)
    assert not stale_file.exists() and not Path(f"{stale_file}.aux.xml").exists()
    assert live_file.exists()


def test_atomic_write_cleans_up_on_keyboard_interrupt_and_sidecars(tmp_path):
    path = tmp_path / "map.tif"
    with pytest.raises(KeyboardInterrupt), atomic_write(path) as tmp:
        tmp.write_text("half")
        Path(f"{tmp}.aux.xml").write_text("gdal sidecar")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["/proc/panspectra-x", "/proc/panspectra-x/deeper/run"])
def test_unwritable_output_is_one_line_user_error(where):
    with pytest.raises(UserError, match="cannot write in /proc") as info:
        OutputDir(where)
    assert "\n" not in str(info.value)
    with pytest.raises(UserError, match="cannot write in /proc"):
        check_output_file(f"{where}.tif", overwrite=False)
    assert not Path(where).exists()


def test_output_under_a_read_only_folder_is_refused(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root can write into a read-only folder")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(UserError, match="cannot write in"):
            OutputDir(locked / "run")
    finally:
        locked.chmod(0o700)


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


def test_atomic_write_leaves_nothing_when_a_raster_writer_crashes(tmp_path):
    """A crashed predict must not leave ``.NAME.*.partial.tif`` (nor GDAL sidecars) behind."""
    rasterio = pytest.importorskip("rasterio")
    import numpy as np

    path = tmp_path / "map.tif"
    profile = {"driver": "GTiff", "height": 4, "width": 4, "count": 1, "dtype": "uint8"}
    with pytest.raises(RuntimeError), atomic_write(path) as tmp:
        dataset = rasterio.open(tmp, "w", **profile)
        try:
            dataset.update_tags(model="x")
            dataset.write(np.zeros((1, 4, 4), dtype=np.uint8))
            dataset.update_tags(1, STATISTICS_MEAN="0")  # a sidecar-prone write
            raise RuntimeError("classifier failed mid-map")
        finally:
            dataset.close()
    assert list(tmp_path.iterdir()) == []
