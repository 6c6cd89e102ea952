"""Deep ensemble: independently trained copies of one model, probabilities averaged.

Averaging the softmax of networks trained from different random initialisations and data
orders (Lakshminarayanan, Pritzel & Blundell 2017, "Simple and Scalable Predictive Uncertainty
Estimation using Deep Ensembles", NeurIPS) is the plainest way to trade training time for
accuracy. The members are trained one after the other by the hsi pipeline (recipe field
``ensemble``); this module only combines them::

    x: (batch, bands, p, p) -> log(mean_m softmax(member_m(x)))  (batch, num_classes)

Returning the log of the mean probability keeps the contract "softmax of the output = class
probabilities", so inference code needs no special case.

A *mixed* ensemble combines different models, each with its own preprocessing, patch size and
test-time augmentation, so no single forward pass can run it: :class:`MemberModels` only keeps
the members' networks together for the checkpoint, and
:class:`panspectra_hsi.pipeline.mixed.MixedClassifier` averages the members' probabilities.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from panspectra_core.registry import create_model, register_model


class ProbabilityEnsemble(nn.Module):
    """Mean of the members' softmax, returned as log-probabilities ``(batch, K)``.

    Args:
        members: models with the hsi contract ``(batch, C, p, p) -> (batch, K)`` logits.
    """

    def __init__(self, members: list[nn.Module]) -> None:
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one member")
        self.members = nn.ModuleList(members)

    def forward(self, x: Tensor) -> Tensor:
        proba = torch.stack([member(x).softmax(dim=-1) for member in self.members]).mean(dim=0)
        return proba.clamp_min(1e-12).log()


@register_model(domain="hsi", tags=("ensemble",))
def ensemble(
    num_bands: int,
    num_classes: int,
    patch_size: int,
    member: str = "ssftt",
    members: int = 2,
    **member_kwargs,
) -> ProbabilityEnsemble:
    """``members`` fresh copies of registered model ``member`` (trained separately)."""
    return ProbabilityEnsemble(
        [
            create_model(
                member,
                num_bands=num_bands,
                num_classes=num_classes,
                patch_size=patch_size,
                **member_kwargs,
            )
            for _ in range(members)
        ]
    )


class MemberModels(nn.Module):
    """The networks of a mixed ensemble, stored together (one ``state_dict``, one checkpoint).

    It has no forward pass of its own: member ``i`` takes patches ``(batch, C_i, p_i, p_i)``
    made with its own preprocessing. :class:`panspectra_hsi.pipeline.mixed.MixedClassifier`
    runs the members and averages their probabilities.
    """

    def __init__(self, members: list[nn.Module]) -> None:
        super().__init__()
        if not members:
            raise ValueError("a mixed ensemble needs at least one member")
        self.members = nn.ModuleList(members)

    def forward(self, x: Tensor) -> Tensor:
        raise TypeError(
            "a mixed ensemble's members take differently preprocessed patches; "
            "classify through panspectra_hsi.pipeline.MixedClassifier"
        )


@register_model(domain="hsi", tags=("ensemble", "mixed"))
def mixed_ensemble(members: list[dict]) -> MemberModels:
    """Different models, own recipes and preprocessing, probabilities averaged (--members).

    ``members``: ``[{"model": NAME, "kwargs": {...}}]``, the registry builders of the members'
    networks (the recipe's default: ssftt, ssftt, lola_specvit).
    """
    return MemberModels([create_model(m["model"], **m["kwargs"]) for m in members])
