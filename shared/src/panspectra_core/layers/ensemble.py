"""Deep ensemble of classifiers: the members' class probabilities averaged.

Averaging the softmax of networks trained from different random initialisations and data
orders (Lakshminarayanan, Pritzel & Blundell 2017, "Simple and Scalable Predictive Uncertainty
Estimation using Deep Ensembles", NeurIPS) is the plainest way to trade training time for
accuracy; members of different architectures, which make different errors, gain more. The
members are trained separately by a domain's pipeline; this module only combines them::

    x: (batch, ...) -> log(mean_m softmax(member_m(x)))  (batch, num_classes)

Returning the log of the mean probability keeps the contract "softmax of the output = class
probabilities", so inference code needs no special case.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ProbabilityEnsemble(nn.Module):
    """Mean of the members' softmax, returned as log-probabilities ``(batch, K)``.

    Args:
        members: classifiers that take the same input and return ``(batch, K)`` logits.
    """

    def __init__(self, members: list[nn.Module]) -> None:
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one member")
        self.members = nn.ModuleList(members)

    def forward(self, x: Tensor) -> Tensor:
        proba = torch.stack([member(x).softmax(dim=-1) for member in self.members]).mean(dim=0)
        return proba.clamp_min(1e-12).log()
