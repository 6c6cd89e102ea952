"""Stochastic depth (Huang et al. 2016, "Deep Networks with Stochastic Depth", ECCV 2016,
arXiv:1603.09382), applied per sample to a residual branch as in timm's ``DropPath``.

In training each sample's branch output is zeroed with probability ``p`` and the survivors are
scaled by ``1 / (1 - p)``, so the expectation equals the input; in eval it is the identity.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def drop_path(
    x: Tensor,
    drop_prob: float = 0.0,
    training: bool = False,
    scale_by_keep: bool = True,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Zero whole samples of ``x`` (dim 0) with probability ``drop_prob`` when ``training``.

    Args:
        x: (batch, ...).
        drop_prob: probability of dropping a sample's branch, in [0, 1).
        training: apply only in training mode (identity otherwise).
        scale_by_keep: divide survivors by ``1 - drop_prob`` (unbiased expectation).
        generator: optional RNG (must live on ``x``'s device) for reproducible masks.

    Returns:
        (batch, ...), same dtype and device as ``x``.
    """
    if not 0.0 <= drop_prob < 1.0:
        raise ValueError(f"drop_prob must be in [0, 1), got {drop_prob}")
    if drop_prob == 0.0 or not training:
        return x
    keep_prob = 1.0 - drop_prob
    mask_shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    uniform = torch.rand(mask_shape, generator=generator, device=x.device, dtype=torch.float32)
    mask = (uniform < keep_prob).to(x.dtype)
    if scale_by_keep:
        mask = mask / keep_prob
    return x * mask


class DropPath(nn.Module):
    """Per-sample stochastic depth for residual branches: ``x + DropPath(p)(branch(x))``.

    Args:
        drop_prob: probability of dropping the branch for a sample.
        scale_by_keep: rescale survivors by ``1 / (1 - p)``.

    Shapes: (batch, ...) → (batch, ...). Identity in eval mode.
    """

    def __init__(self, drop_prob: float = 0.0, scale_by_keep: bool = True) -> None:
        super().__init__()
        if not 0.0 <= drop_prob < 1.0:
            raise ValueError(f"drop_prob must be in [0, 1), got {drop_prob}")
        self.drop_prob = drop_prob
        self.scale_by_keep = scale_by_keep

    def forward(self, x: Tensor) -> Tensor:
        return drop_path(x, self.drop_prob, self.training, self.scale_by_keep)

    def extra_repr(self) -> str:
        return f"drop_prob={self.drop_prob}"
