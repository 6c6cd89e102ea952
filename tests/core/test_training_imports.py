"""Building a CLI parser must not import Lightning (seconds of import time for ``--help``)."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

import panspectra_core.training as training

PARSERS = {
    "core": "import argparse\nfrom panspectra_core.training import add_trainer_args\n"
    "add_trainer_args(argparse.ArgumentParser())",
    "ts-forecast": "from panspectra_ts.cli import app\napp.parser()",
    "hsi-classify": "from panspectra_hsi.cli import app\napp.parser()",
    "hsi-unmix": "from panspectra_hsi.cli_unmix import app\napp.parser()",
}


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_parsers_build_without_lightning(name):
    code = PARSERS[name] + "\nimport sys\nprint(sorted(m for m in sys.modules if 'lightning' in m))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"{name} imported {out.stdout.strip()}"


def test_every_public_name_resolves():
    for name in training.__all__:
        assert getattr(training, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        training.nope  # noqa: B018


def test_quiet_logging_survives_the_lazy_lightning_import(tmp_path):
    # Importing Lightning sets its loggers back to INFO; the CLIs configure logging first and
    # import Lightning later, so the trainer factory must re-apply the chosen level.
    code = (
        "import logging, pathlib, sys\n"
        "from panspectra_core.runtime import configure_logging\n"
        "configure_logging(quiet=True)\n"
        "from panspectra_core.training import TrainConfig, build_trainer\n"
        "config = TrainConfig(accelerator='cpu', progress_bar=False)\n"
        f"build_trainer(config, pathlib.Path({str(tmp_path)!r}))\n"
        "print(logging.getLogger('lightning.pytorch').level)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(logging.ERROR)
    assert "GPU available" not in out.stderr, out.stderr
