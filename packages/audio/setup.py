"""Dependencies of panspectra-audio; see tools/packaging/domain_setup.py for the reason."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "packaging"))
from domain_setup import domain_setup

domain_setup(
    __file__,
    domain="audio",
    requires=[
        "soundfile>=0.12",  # WAV/FLAC/OGG reading and writing (libsndfile)
        "torchaudio==2.11.*",  # resampling, mel spectrogram, SpecAugment masks (matches torch)
        "pesq>=0.0.4",  # ITU-T P.862 PESQ (narrow-band MOS-LQO) for enhancement scores
        "pystoi>=0.3",  # STOI intelligibility score (Taal et al. 2011)
        "torchmetrics>=1.0",  # BSS-eval SDR (signal_distortion_ratio) for separation SDRi
        "scikit-learn>=1.3",  # classification metrics through panspectra_core.metrics
        "matplotlib>=3.7",  # confusion matrix and spectrogram pictures
    ],
)
