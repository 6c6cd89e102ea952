"""Small helpers for the audio tests: synthetic signals and file writers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 8000


def tone(seconds: float = 1.0, freq: float = 440.0, amp: float = 0.5, rate: int = RATE):
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write(path: Path, samples, rate: int = RATE, subtype: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), samples, rate, subtype=subtype)
    return path


def run_cli(main, argv, capsys):
    """Run a CLI in-process → (exit code, stderr)."""
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


def assert_one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "error:" in lines[0] and "Traceback" not in err, err
    for needle in needles:
        assert needle in lines[0], lines[0]


def tone_folder(root: Path, clips_per_class: int = 12) -> Path:
    """A folder per class of noisy 0.25 s tones: ``low`` near 300 Hz, ``high`` near 1200 Hz."""
    rng = np.random.default_rng(0)
    for label, freq in (("low", 300.0), ("high", 1200.0)):
        for k in range(clips_per_class):
            clip = tone(0.25, freq * (1 + 0.03 * rng.standard_normal()), amp=0.3)
            clip += 0.02 * rng.standard_normal(clip.size).astype(np.float32)
            write(root / label / f"{k}.wav", clip)
    return root
