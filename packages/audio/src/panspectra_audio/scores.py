"""Speech-quality scores with the tools the enhancement/separation papers report.

- PESQ: ITU-T P.862 narrow-band (8 kHz) MOS-LQO via the ``pesq`` package (ludlows/python-pesq,
  the ITU reference C code). Other PESQ tools score the same pair differently; numbers here
  are this tool's ``pesq(fs, ref, deg, "nb")``.
- STOI: Taal et al. 2011, IEEE TASLP 19(7), via ``pystoi`` (resamples to 10 kHz internally).
- SI-SNR: :func:`panspectra_audio.losses.si_snr`.
- SDR: BSS-eval SDR with a 512-tap distortion filter (Vincent et al. 2006; the fast solver of
  Scheibler 2021) via ``torchmetrics.functional.audio.signal_distortion_ratio``.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .losses import si_snr


def pesq_nb(reference: np.ndarray, degraded: np.ndarray, rate: int) -> float:
    """Narrow-band PESQ MOS-LQO; NaN when the tool finds no utterance (e.g. pure noise)."""
    from pesq import PesqError, pesq

    if rate not in (8000, 16000):
        raise ValueError(f"PESQ needs 8 or 16 kHz audio, got {rate} Hz")
    try:
        return float(pesq(rate, reference.astype(np.float64), degraded.astype(np.float64), "nb"))
    except PesqError:
        return math.nan


def stoi(reference: np.ndarray, degraded: np.ndarray, rate: int) -> float:
    from pystoi import stoi as _stoi

    return float(_stoi(reference.astype(np.float64), degraded.astype(np.float64), rate))


def si_snr_db(reference: np.ndarray, estimate: np.ndarray) -> float:
    return float(si_snr(torch.from_numpy(estimate).double(), torch.from_numpy(reference).double()))


def sdr_db(reference: np.ndarray, estimate: np.ndarray) -> float:
    from torchmetrics.functional.audio import signal_distortion_ratio

    value = signal_distortion_ratio(
        torch.from_numpy(estimate).double(), torch.from_numpy(reference).double()
    )
    return float(value)


def enhancement_scores(reference: np.ndarray, estimate: np.ndarray, rate: int) -> dict:
    """``pesq``, ``stoi``, ``si_snr`` of one estimate against its clean reference."""
    return {
        "pesq": pesq_nb(reference, estimate, rate),
        "stoi": stoi(reference, estimate, rate),
        "si_snr": si_snr_db(reference, estimate),
    }
