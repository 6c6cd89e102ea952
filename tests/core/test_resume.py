"""``--resume`` that resumes: a real training subprocess killed with SIGKILL, then resumed."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from panspectra_core.errors import UserError
from panspectra_core.io import PROGRESS_DIR, OutputDir
from panspectra_core.training import fit

SCRIPT = Path(__file__).with_name("resume_train_script.py")
EPOCHS = 5


def start(output: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), str(output), str(EPOCHS), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def finish(proc: subprocess.Popen) -> None:
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]


@pytest.mark.slow
def test_sigkilled_run_resumes_from_its_last_epoch_with_the_same_weights(tmp_path):
    killed, reference = tmp_path / "killed", tmp_path / "reference"
    victim = start(killed, "--pause-after", "1")  # both in parallel: the machine has 2 cores
    uninterrupted = start(reference)
    marker = tmp_path / "killed.paused"
    deadline = time.monotonic() + 240
    while not marker.exists():
        assert victim.poll() is None, victim.communicate()[1][-3000:]
        assert time.monotonic() < deadline, "the training subprocess never reached epoch 1"
        time.sleep(0.2)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL

    last = killed / PROGRESS_DIR / "train" / "lightning" / "last.ckpt"
    assert last.is_file()  # progress at a predictable place under --output
    assert sorted(p.name for p in killed.iterdir()) == [PROGRESS_DIR]
    stale = list(tmp_path.glob(".killed.partial-*"))
    assert len(stale) == 1  # the killed run's staging folder ...
    with pytest.raises(UserError, match="--resume"):
        OutputDir(killed)  # a plain re-run is told about --resume / --overwrite

    finish(start(killed, "--resume"))
    finish(uninterrupted)
    assert not stale[0].exists()  # ... is removed by the next run of the same output
    assert not (killed / PROGRESS_DIR).exists()  # a finished run deletes its progress
    assert list(tmp_path.glob(".killed.*")) == []

    resumed = json.loads((killed / "result.json").read_text())
    full = json.loads((reference / "result.json").read_text())
    assert resumed["resumed_from_epoch"] == 2  # epochs 0 and 1 were done: not from scratch
    assert full["resumed_from_epoch"] is None
    assert resumed["epochs"] == full["epochs"] == EPOCHS
    assert resumed["best_epoch"] == full["best_epoch"]
    a = load_file(killed / "weights.safetensors")
    b = load_file(reference / "weights.safetensors")
    assert a.keys() == b.keys()
    for name in a:  # optimizer, scheduler, RNG and best-weights state all came back
        assert torch.equal(a[name], b[name]), name


class _Crash(Exception):
    pass


def _train(output: Path, resume: bool, crash_at: int | None) -> tuple[dict, object]:
    """The script's run in this process; ``crash_at`` raises at that epoch's start."""
    sys.path.insert(0, str(SCRIPT.parent))
    import resume_train_script as script

    class Crashing(script.PausingTask):
        def on_train_epoch_start(self) -> None:
            if self.current_epoch == crash_at:
                raise _Crash

    torch.manual_seed(0)
    task = Crashing(script.build_model(), **script.TASK_KWARGS, pause_after=None, marker=None)
    train, val = script.loaders()
    with OutputDir(output, resume=resume) as out:
        result = fit(task, train, val, script.config(EPOCHS), out / "train", resume=resume)
    return {k: v.clone() for k, v in task.model.state_dict().items()}, result


def test_crashed_run_resumes_in_process_with_identical_weights(tmp_path):
    reference, _ = _train(tmp_path / "a", False, None)
    with pytest.raises(_Crash):
        _train(tmp_path / "b", False, 3)
    assert (tmp_path / "b" / PROGRESS_DIR / "train" / "lightning" / "last.ckpt").is_file()
    weights, result = _train(tmp_path / "b", True, None)
    assert result.resumed_from_epoch == 3
    assert all(torch.equal(weights[k], reference[k]) for k in reference)
    assert not (tmp_path / "b" / PROGRESS_DIR).exists()


def test_unreadable_progress_checkpoint_is_a_one_line_error(tmp_path):
    last = tmp_path / "run" / PROGRESS_DIR / "train" / "lightning" / "last.ckpt"
    last.parent.mkdir(parents=True)
    last.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(UserError, match=r"last\.ckpt cannot be loaded.*--overwrite"):
        _train(tmp_path / "run", True, None)
    assert last.exists()  # the user decides
