"""Image fixtures for the vision tests: tiny class folders written by the test itself."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

COLOURS = [(200, 40, 40), (40, 200, 40), (40, 40, 200)]


def class_image(cls: int, index: int, size: int = 32) -> np.ndarray:
    """A (size, size, 3) uint8 image: class colour + noise + a class-specific bright stripe."""
    rng = np.random.default_rng(1000 * cls + index)
    img = (rng.random((size, size, 3)) * 60 + np.array(COLOURS[cls]) * 0.7).astype(np.float64)
    img[:, cls * 8 : cls * 8 + 4] += 50
    return img.clip(0, 255).astype(np.uint8)


def make_png_folder(root: Path, classes: int = 3, per_class: int = 10, size: int = 32) -> Path:
    """``root/class<k>/<i>.png`` — the ImageFolder layout a user would have."""
    for cls in range(classes):
        folder = root / f"class{cls}"
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            Image.fromarray(class_image(cls, i, size)).save(folder / f"{i:02d}.png")
    return root


def zip_folder(folder: Path, dest: Path, top: str | None = None) -> Path:
    """Zip every file under ``folder`` (member names relative, under ``top/`` if given)."""
    with zipfile.ZipFile(dest, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                rel = path.relative_to(folder).as_posix()
                zf.write(path, f"{top}/{rel}" if top else rel)
    return dest
