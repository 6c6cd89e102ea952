"""Dependencies of panspectra-vision; tools/packaging/domain_setup.py says why this is a script."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "packaging"))
from domain_setup import domain_setup

domain_setup(
    __file__,
    domain="vision",
    requires=[
        # ResNet and the v2 equalize op; no upper pin of our own: torch's pin (2.11 line in the
        # dev env) already decides the torchvision release, and an extra cap would only make
        # pip refuse a torchvision that matches the user's torch.
        "torchvision>=0.21",
        "Pillow>=10",  # JPEG/PNG/TIFF (16-bit, multi-page) decoding
        "matplotlib>=3.7",  # confusion-matrix and explanation PNGs
    ],
)
