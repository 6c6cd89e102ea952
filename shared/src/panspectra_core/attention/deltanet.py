"""DeltaNet token mixer (Schlag et al. 2021, "Linear Transformers Are Secretly Fast Weight
Programmers", arXiv:2102.11174; Yang et al. 2024, "Parallelizing Linear Transformers with the Delta
Rule over Sequence Length", arXiv:2406.06484).

Projections q, k, v; q and k L2-normalised per head (keeps the delta-rule recurrence contractive);
writing strength β = sigmoid(W_β x) per head; :func:`~.delta_rule.delta_rule` mixing; output
projection. Causal by construction; streams with :meth:`DeltaNetLayer.step`.
(The short convolutions and output gate of the fla implementation are left to the block that
uses this layer.)
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from .delta_rule import DEFAULT_CHUNK_SIZE, delta_rule, delta_rule_step
from .multihead import merge_heads, split_heads


class DeltaNetLayer(nn.Module):
    """Multi-head delta-rule attention layer.

    Args:
        dim: model width (divisible by ``num_heads``).
        num_heads: number of heads; each keeps a (head_dim × head_dim) fast-weight state.
        chunk_size: chunk length of the parallel form.
        bias: biases in the q/k/v/output projections.

    Shapes:
        x: (batch, L, dim) -> (batch, L, dim); state: (batch, heads, head_dim, head_dim).
    """

    def __init__(
        self, dim: int, num_heads: int, chunk_size: int = DEFAULT_CHUNK_SIZE, bias: bool = False
    ) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim={dim} not divisible by num_heads={num_heads}")
        self.num_heads, self.head_dim = num_heads, dim // num_heads
        self.chunk_size = chunk_size
        self.qkv = nn.Linear(dim, 3 * dim, bias=bias)
        self.beta = nn.Linear(dim, num_heads, bias=True)
        self.out = nn.Linear(dim, dim, bias=bias)

    def _project(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        q, k, v = (split_heads(t, self.num_heads) for t in self.qkv(x).chunk(3, dim=-1))
        q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
        beta = self.beta(x).sigmoid().transpose(1, 2)  # (b, h, L)
        return q, k, v, beta

    def forward(self, x: Tensor) -> Tensor:
        q, k, v, beta = self._project(x)
        out = delta_rule(q, k, v, beta, chunk_size=self.chunk_size)
        return self.out(merge_heads(out))

    def step(self, x_t: Tensor, state: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """One streaming step: x_t (batch, dim) -> (y_t (batch, dim), new state)."""
        q, k, v, beta = (t[:, :, 0] for t in self._project(x_t[:, None]))
        out, state = delta_rule_step(q, k, v, beta, state)
        return self.out(out.flatten(1)), state
