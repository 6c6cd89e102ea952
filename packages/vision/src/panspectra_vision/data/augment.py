"""Batched, per-sample-random image augmentations on tensors (no Python work per image).

Every function takes a float batch ``x`` (B, C, H, W) with values in [0, 1] (before
normalization) unless said otherwise, and a ``torch.Generator`` so runs are reproducible.
Each sample draws its own crop offset, flip, operation and magnitude; the operations are
vectorized over the batch (masks, ``grid_sample``, gathers).

- random crop with padding and horizontal flip (the CIFAR standard; He et al. 2016);
- TrivialAugment-Wide (Müller & Hutter 2021, "TrivialAugment: Tuning-free Yet State-of-the-Art
  Data Augmentation", ICCV): one op per image, uniform magnitude over 31 bins, the op set and
  ranges of torchvision's ``TrivialAugmentWide``;
- random erasing (Zhong et al. 2020, AAAI), on the normalized batch, noise-filled (timm's
  ``mode="pixel"``);
- mixup (Zhang et al. 2018) / cutmix (Yun et al. 2019), one of them per batch, soft targets.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor


def _uniform(n: int, gen: torch.Generator, device: torch.device) -> Tensor:
    return torch.rand(n, generator=gen, device=device)


def random_crop(x: Tensor, padding: int, gen: torch.Generator, mode: str = "reflect") -> Tensor:
    """Pad every side by ``padding`` then crop back to (H, W) at a random offset per sample."""
    if padding <= 0:
        return x
    batch, _, height, width = x.shape
    padded = F.pad(x, (padding,) * 4, mode=mode)
    dy = torch.randint(0, 2 * padding + 1, (batch,), generator=gen, device=x.device)
    dx = torch.randint(0, 2 * padding + 1, (batch,), generator=gen, device=x.device)
    rows = (dy[:, None] + torch.arange(height, device=x.device))[:, None, :, None]
    cols = (dx[:, None] + torch.arange(width, device=x.device))[:, None, None, :]
    b = torch.arange(batch, device=x.device)[:, None, None, None]
    c = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
    return padded[b, c, rows, cols]


def random_flip(x: Tensor, gen: torch.Generator, p: float = 0.5) -> Tensor:
    """Mirror each sample left-right with probability ``p``."""
    flip = _uniform(x.shape[0], gen, x.device) < p
    return torch.where(flip[:, None, None, None], x.flip(-1), x)


def _blend(a: Tensor, b: Tensor, factor: Tensor) -> Tensor:
    """``b + factor·(a − b)`` clamped to [0, 1] (PIL ImageEnhance), factor per sample."""
    return (b + factor[:, None, None, None] * (a - b)).clamp(0, 1)


def _gray(x: Tensor) -> Tensor:
    if x.shape[1] != 3:
        return x.mean(1, keepdim=True).expand_as(x)
    w = x.new_tensor([0.299, 0.587, 0.114])[None, :, None, None]
    return (x * w).sum(1, keepdim=True).expand_as(x)


def _sharp_blur(x: Tensor) -> Tensor:
    kernel = x.new_tensor([[1.0, 1.0, 1.0], [1.0, 5.0, 1.0], [1.0, 1.0, 1.0]]) / 13.0
    channels = x.shape[1]
    blurred = F.conv2d(
        F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel.expand(channels, 1, 3, 3), groups=channels
    )
    out = x.clone()
    out[..., 1:-1, 1:-1] = blurred[..., 1:-1, 1:-1]  # PIL keeps the border pixels
    return out


def _autocontrast(x: Tensor) -> Tensor:
    low = x.amin(dim=(2, 3), keepdim=True)
    high = x.amax(dim=(2, 3), keepdim=True)
    scale = torch.where(high > low, 1.0 / (high - low).clamp_min(1e-6), torch.ones_like(high))
    return torch.where(high > low, (x - low) * scale, x).clamp(0, 1)


def _equalize(x: Tensor) -> Tensor:
    from torchvision.transforms.v2 import functional as TF

    return TF.equalize((x * 255).round().to(torch.uint8)).float() / 255.0


#: TrivialAugmentWide ops: name -> (max magnitude, signed)
TRIVIAL_OPS = {
    "identity": (0.0, False),
    "shear_x": (0.99, True),
    "shear_y": (0.99, True),
    "translate_x": (32.0, True),
    "translate_y": (32.0, True),
    "rotate": (135.0, True),
    "brightness": (0.99, True),
    "color": (0.99, True),
    "contrast": (0.99, True),
    "sharpness": (0.99, True),
    "posterize": (6.0, False),
    "solarize": (1.0, False),
    "autocontrast": (0.0, False),
    "equalize": (0.0, False),
}
_GEOMETRIC = ("shear_x", "shear_y", "translate_x", "translate_y", "rotate")


def _affine(x: Tensor, op: Tensor, mag: Tensor, names: list[str]) -> Tensor:
    """One ``grid_sample`` for every geometric op (identity matrix for the other samples)."""
    batch, _, height, width = x.shape
    theta = torch.zeros(batch, 2, 3, device=x.device)
    theta[:, 0, 0] = theta[:, 1, 1] = 1.0
    idx = {n: names.index(n) for n in _GEOMETRIC}
    sx, sy = op == idx["shear_x"], op == idx["shear_y"]
    theta[sx, 0, 1] = mag[sx]
    theta[sy, 1, 0] = mag[sy]
    tx, ty = op == idx["translate_x"], op == idx["translate_y"]
    theta[tx, 0, 2] = 2.0 * mag[tx] / width
    theta[ty, 1, 2] = 2.0 * mag[ty] / height
    rot = op == idx["rotate"]
    angle = torch.deg2rad(mag[rot])
    theta[rot, 0, 0], theta[rot, 0, 1] = torch.cos(angle), -torch.sin(angle)
    theta[rot, 1, 0], theta[rot, 1, 1] = torch.sin(angle), torch.cos(angle)
    moved = torch.isin(op, torch.tensor([idx[n] for n in _GEOMETRIC], device=x.device))
    if not moved.any():
        return x
    grid = F.affine_grid(theta[moved], list(x[moved].shape), align_corners=False)
    out = x.clone()
    out[moved] = F.grid_sample(
        x[moved], grid, mode="nearest", padding_mode="zeros", align_corners=False
    )
    return out


def trivial_augment(x: Tensor, gen: torch.Generator, num_bins: int = 31) -> Tensor:
    """TrivialAugment-Wide on a batch: each sample gets one uniformly drawn op and magnitude."""
    names = list(TRIVIAL_OPS)
    batch, device = x.shape[0], x.device
    op = torch.randint(0, len(names), (batch,), generator=gen, device=device)
    level = torch.randint(0, num_bins, (batch,), generator=gen, device=device).float() / (
        num_bins - 1
    )
    sign = torch.where(_uniform(batch, gen, device) < 0.5, -1.0, 1.0)
    top = torch.tensor([TRIVIAL_OPS[n][0] for n in names], device=device)[op]
    signed = torch.tensor([TRIVIAL_OPS[n][1] for n in names], device=device)[op]
    mag = level * top * torch.where(signed, sign, torch.ones_like(sign))
    x = _affine(x, op, mag, names)
    enhance = {
        "brightness": lambda v: torch.zeros_like(v),
        "color": _gray,
        "contrast": lambda v: _gray(v).mean(dim=(1, 2, 3), keepdim=True).expand_as(v),
        "sharpness": _sharp_blur,
    }
    out = x.clone()
    for name, degenerate in enhance.items():
        sel = op == names.index(name)
        if sel.any():
            out[sel] = _blend(x[sel], degenerate(x[sel]), 1.0 + mag[sel])
    sel = op == names.index("posterize")
    if sel.any():
        step = (2.0 ** torch.floor(mag[sel]))[:, None, None, None]  # drop 0..6 bits
        out[sel] = torch.floor(x[sel] * 255.0 / step) * step / 255.0
    sel = op == names.index("solarize")
    if sel.any():
        threshold = (1.0 - mag[sel])[:, None, None, None]
        out[sel] = torch.where(x[sel] >= threshold, 1.0 - x[sel], x[sel])
    for name, fn in (("autocontrast", _autocontrast), ("equalize", _equalize)):
        sel = op == names.index(name)
        if sel.any():
            out[sel] = fn(x[sel])
    return out


def random_erasing(
    x: Tensor, gen: torch.Generator, p: float = 0.25, scale=(0.02, 1 / 3), ratio=(0.3, 3.3)
) -> Tensor:
    """Replace one random rectangle per selected sample (probability ``p``) with N(0, 1) noise.

    Works on the normalized batch (noise matches its unit scale)."""
    batch, _channels, height, width = x.shape
    device = x.device
    chosen = _uniform(batch, gen, device) < p
    if not chosen.any():
        return x
    area = (scale[0] + (scale[1] - scale[0]) * _uniform(batch, gen, device)) * height * width
    log_r = math.log(ratio[0]) + (math.log(ratio[1]) - math.log(ratio[0])) * _uniform(
        batch, gen, device
    )
    aspect = torch.exp(log_r)
    eh = torch.sqrt(area * aspect).round().clamp(1, height).long()
    ew = torch.sqrt(area / aspect).round().clamp(1, width).long()
    top = (_uniform(batch, gen, device) * (height - eh + 1)).floor().long()
    left = (_uniform(batch, gen, device) * (width - ew + 1)).floor().long()
    rows = torch.arange(height, device=device)[None, :, None]
    cols = torch.arange(width, device=device)[None, None, :]
    inside = (rows >= top[:, None, None]) & (rows < (top + eh)[:, None, None])
    inside = inside & (cols >= left[:, None, None]) & (cols < (left + ew)[:, None, None])
    mask = (inside & chosen[:, None, None])[:, None]
    noise = torch.randn(x.shape, generator=gen, device=device, dtype=x.dtype)
    return torch.where(mask, noise, x)


def mix_batch(
    x: Tensor,
    y: Tensor,
    num_classes: int,
    gen: torch.Generator,
    mixup_alpha: float = 0.8,
    cutmix_alpha: float = 1.0,
    p: float = 1.0,
) -> tuple[Tensor, Tensor]:
    """Mixup or cutmix (one of them, equally likely, on the whole batch with probability ``p``)
    with the batch reversed as partner. Returns the mixed batch and (B, num_classes) soft targets
    (λ of the cutmix box corrected to its clipped area, as timm does)."""
    soft = F.one_hot(y, num_classes).float()
    use = [a for a in (mixup_alpha, cutmix_alpha) if a > 0]
    if not use or _uniform(1, gen, x.device).item() >= p:
        return x, soft
    cut = cutmix_alpha > 0 and (mixup_alpha <= 0 or _uniform(1, gen, x.device).item() < 0.5)
    alpha = cutmix_alpha if cut else mixup_alpha
    lam = _beta(alpha, gen)
    partner = x.flip(0)
    if not cut:
        return lam * x + (1 - lam) * partner, lam * soft + (1 - lam) * soft.flip(0)
    height, width = x.shape[-2:]
    ch, cw = int(height * math.sqrt(1 - lam)), int(width * math.sqrt(1 - lam))
    cy = int(torch.randint(0, height, (1,), generator=gen).item())
    cx = int(torch.randint(0, width, (1,), generator=gen).item())
    y0, y1 = max(cy - ch // 2, 0), min(cy + ch // 2, height)
    x0, x1 = max(cx - cw // 2, 0), min(cx + cw // 2, width)
    out = x.clone()
    out[..., y0:y1, x0:x1] = partner[..., y0:y1, x0:x1]
    lam = 1.0 - (y1 - y0) * (x1 - x0) / (height * width)
    return out, lam * soft + (1 - lam) * soft.flip(0)


def _beta(alpha: float, gen: torch.Generator) -> float:
    """Beta(α, α) from two Gamma draws of the seeded generator (via ``torch._standard_gamma``)."""
    a = torch._standard_gamma(torch.full((2,), alpha), generator=gen)
    return float(a[0] / a.sum())
