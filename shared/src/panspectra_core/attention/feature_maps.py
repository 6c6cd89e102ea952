"""Feature maps φ for kernelised linear attention, ``sim(q, k) ≈ φ(q) · φ(k)``.

- :class:`EluFeatureMap` — ``elu(x) + 1`` (Katharopoulos et al. 2020, "Transformers are RNNs",
  arXiv:2006.16236).
- :class:`PositiveRandomFeatures` — FAVOR+ positive orthogonal random features approximating the
  softmax kernel ``exp(q · k / √d)`` (Choromanski et al. 2021, "Rethinking Attention with
  Performers", arXiv:2009.14794), with optional periodic redrawing of the projection.

Both map (..., L, d) -> (..., L, m) with non-negative entries; ``is_query`` selects the
numerical stabiliser (FAVOR+ only).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class EluFeatureMap(nn.Module):
    """φ(x) = elu(x) + 1 (> 0). Shapes: (..., d) -> (..., d)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.num_features = dim

    def forward(self, x: Tensor, is_query: bool = True, causal: bool = False) -> Tensor:
        return F.elu(x) + 1.0


def orthogonal_gaussian_matrix(
    num_rows: int,
    dim: int,
    generator: torch.Generator | None = None,
    device: torch.device | None = None,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """(num_rows, dim) random matrix whose blocks of ``dim`` rows are orthogonal, each row rescaled
    to the norm of a d-dimensional Gaussian vector (Performer's "orthogonal random features").

    Sampled on the CPU with ``generator`` (reproducible), then moved to ``device``.
    """
    num_blocks = -(-num_rows // dim)
    gaussian = torch.randn(num_blocks, dim, dim, generator=generator, dtype=torch.float64)
    orthonormal, upper = torch.linalg.qr(gaussian)  # batched over blocks
    # sign fix makes Q Haar-distributed (Mezzadri 2007); without it the directions are biased
    orthonormal = orthonormal * torch.sign(torch.diagonal(upper, dim1=-2, dim2=-1))[:, None, :]
    rows = orthonormal.transpose(-1, -2).reshape(num_blocks * dim, dim)[:num_rows]
    norms = torch.randn(num_rows, dim, generator=generator, dtype=torch.float64).norm(dim=1)
    return (rows * norms[:, None]).to(device=device, dtype=dtype)


class PositiveRandomFeatures(nn.Module):
    """FAVOR+ positive random features for the softmax kernel.

    φ(x) = exp(ω x̃ − ‖x̃‖²/2 − c) / √m with x̃ = x / d^{1/4}, so that
    E[φ(q) · φ(k)] ∝ exp(q · k / √d). The stabiliser c cancels in normalised attention:
    for queries it is the per-row max; for keys the max over the whole sequence (non-causal) or
    0 when ``causal=True`` (a sequence-wide max would let future keys change past outputs).

    Args:
        dim: input feature size d.
        num_features: number of random features m (default ``2 * d``).
        redraw_interval: redraw ω every this many calls of :meth:`maybe_redraw` in training
            (None: never; :meth:`redraw` can always be called by hand).
        seed: seed for the initial draw.

    Shapes: (..., L, d) -> (..., L, m).
    """

    def __init__(
        self,
        dim: int,
        num_features: int | None = None,
        redraw_interval: int | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.dim = dim
        self.num_features = num_features or 2 * dim
        self.redraw_interval = redraw_interval
        self.calls_since_redraw = 0
        self.generator = torch.Generator().manual_seed(seed)
        projection = orthogonal_gaussian_matrix(self.num_features, dim, self.generator)
        self.register_buffer("projection", projection)

    @torch.no_grad()
    def redraw(self) -> None:
        """Draw a fresh projection ω (in place, keeping device and dtype)."""
        fresh = orthogonal_gaussian_matrix(self.num_features, self.dim, self.generator)
        self.projection.copy_(fresh)
        self.calls_since_redraw = 0

    def maybe_redraw(self) -> None:
        """Count one training call and redraw when ``redraw_interval`` calls have passed."""
        if self.redraw_interval is None or not self.training:
            return
        self.calls_since_redraw += 1
        if self.calls_since_redraw >= self.redraw_interval:
            self.redraw()

    def forward(self, x: Tensor, is_query: bool = True, causal: bool = False) -> Tensor:
        x = x * self.dim**-0.25
        logits = x @ self.projection.to(x.dtype).T - 0.5 * x.pow(2).sum(-1, keepdim=True)
        if is_query:
            stabiliser = logits.amax(dim=-1, keepdim=True)
        elif not causal:
            stabiliser = logits.amax(dim=(-2, -1), keepdim=True)
        else:
            stabiliser = torch.zeros((), dtype=logits.dtype, device=logits.device)
        return torch.exp(logits - stabiliser.detach()) / math.sqrt(self.num_features)
