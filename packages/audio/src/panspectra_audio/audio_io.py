"""Reading and writing audio files with ``soundfile`` (libsndfile: WAV, FLAC, OGG, ...).

Every reader check raises :class:`~panspectra_core.errors.UserError` naming the file and what was
expected, so the CLIs print one line and exit 2: unreadable or corrupt file, no samples, NaN or
infinite samples, all-silence, more channels than expected (downmixing is an explicit choice,
``mono=True``), and a sample rate that differs from the one asked for when resampling is off.
Resampling uses ``torchaudio.functional.resample`` (band-limited sinc interpolation).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import torch

from panspectra_core.errors import UserError
from panspectra_core.io import atomic_write

log = logging.getLogger("panspectra")

#: file suffixes treated as audio when a folder is scanned
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".aiff", ".aif")


def is_audio_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in AUDIO_SUFFIXES


def audio_files(folder: Path) -> list[Path]:
    """Sorted audio files directly in ``folder`` (UserError when there is none)."""
    files = sorted(p for p in folder.iterdir() if is_audio_file(p))
    if not files:
        raise UserError(f"{folder}: no audio files ({', '.join(AUDIO_SUFFIXES)}) in this folder")
    return files


def check_samples(samples: np.ndarray, where: str) -> None:
    """Refuse empty, non-finite or all-zero audio (``samples``: (time,) or (time, channels))."""
    if samples.size == 0:
        raise UserError(f"{where}: the file contains no samples; expected audio")
    if not np.isfinite(samples).all():
        raise UserError(f"{where}: NaN or infinite samples; expected finite audio")
    if not np.any(samples):
        raise UserError(f"{where}: every sample is 0 (all silence); expected audio")


def check_wav_complete(path: Path) -> None:
    """Refuse a RIFF/WAVE file whose ``data`` chunk declares more bytes than the file holds
    (a truncated download or copy; libsndfile would silently read the part that is there)."""
    with open(path, "rb") as fh:
        header = fh.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            return
        size = path.stat().st_size
        while True:
            chunk = fh.read(8)
            if len(chunk) < 8:
                return
            declared = int.from_bytes(chunk[4:], "little")
            if chunk[:4] == b"data":
                held = size - fh.tell()
                if declared > held and declared != 0xFFFFFFFF:  # 0xFFFFFFFF: streamed WAV
                    raise UserError(
                        f"{path}: truncated WAV (the header declares {declared} bytes of audio, "
                        f"the file holds {held}); expected a complete file"
                    )
                return
            fh.seek(declared + (declared & 1), 1)


def read_audio(
    path: str | os.PathLike[str],
    *,
    sample_rate: int | None = None,
    mono: bool = False,
    resample: bool = True,
) -> tuple[np.ndarray, int]:
    """Read one mono audio file as float32 in [-1, 1].

    Args:
        path: the file.
        sample_rate: the rate wanted (None: keep the file's). A different file rate is resampled
            with a log note, or refused when ``resample`` is False.
        mono: average the channels of a multi-channel file (otherwise such a file is refused).
        resample: allow resampling (``--no-resample`` turns it off).

    Returns:
        samples (time,) float32 and the sample rate in Hz.
    """
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: audio file not found")
    check_wav_complete(path)
    try:
        samples, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:  # libsndfile reports corrupt/unknown formats in many ways
        detail = " ".join(str(exc).split())[:120]
        raise UserError(f"{path}: cannot read audio ({detail}); expected WAV/FLAC/OGG") from None
    check_samples(samples, str(path))
    channels = samples.shape[1]
    if channels > 1 and not mono:
        raise UserError(
            f"{path}: {channels} channels; expected mono audio (pass --mono to average channels)"
        )
    samples = samples.mean(axis=1) if channels > 1 else samples[:, 0]
    if sample_rate is not None and rate != sample_rate:
        if not resample:
            raise UserError(
                f"{path}: sample rate {rate} Hz; expected {sample_rate} Hz (--no-resample is set)"
            )
        log.info("%s: resampling %d Hz -> %d Hz", path, rate, sample_rate)
        samples = resample_audio(samples, rate, sample_rate)
        rate = sample_rate
    return np.ascontiguousarray(samples, dtype=np.float32), int(rate)


def resample_audio(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Band-limited resampling (torchaudio's windowed-sinc) of (time,) samples."""
    import torchaudio.functional as AF

    tensor = torch.from_numpy(np.asarray(samples, dtype=np.float32))
    return AF.resample(tensor, int(rate), int(target)).numpy()


def write_audio(path: str | os.PathLike[str], samples: np.ndarray, sample_rate: int) -> Path:
    """Write (time,) or (channels, time) float samples atomically; 16-bit PCM for WAV, clipped
    to [-1, 1]; the format follows the suffix."""
    import soundfile as sf

    path = Path(path)
    data = np.asarray(samples, dtype=np.float32)
    data = np.clip(data.T if data.ndim == 2 else data, -1.0, 1.0)
    subtype = "PCM_16" if path.suffix.lower() in (".wav", ".aiff", ".aif") else None
    with atomic_write(path) as tmp:
        sf.write(str(tmp), data, int(sample_rate), subtype=subtype)
    return path
