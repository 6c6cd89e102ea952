"""Deep ensembles of hsi classifiers: copies of one model (``ensemble``) or different models
(``mixed_ensemble``), each trained separately by the hsi pipeline (recipe field ``ensemble``);
the probabilities are averaged by the core's
:class:`~panspectra_core.layers.ProbabilityEnsemble` (Lakshminarayanan et al. 2017)::

    x: (batch, bands, p, p) -> log(mean_m softmax(member_m(x)))  (batch, num_classes)

A *mixed* ensemble combines different models, each with its own preprocessing, patch size and
test-time augmentation, so no single forward pass can run it: :class:`MemberModels` only keeps
the members' networks together for the checkpoint, and
:class:`panspectra_hsi.pipeline.mixed.MixedClassifier` averages the members' probabilities.
"""

from __future__ import annotations

from torch import Tensor, nn

from panspectra_core.layers import ProbabilityEnsemble
from panspectra_core.registry import create_model, register_model


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


class SklearnMember(nn.Module):
    """An sklearn baseline (``is_sklearn``) held as a module, so that it can sit in the
    ``nn.ModuleList`` of a mixed ensemble: its ``state_dict`` entry ``<prefix>skops`` is the
    baseline's own (skops bytes, loaded without pickle, see
    :mod:`panspectra_hsi.models.sklearn_baselines`). No forward pass: the estimator classifies
    centre spectra through :class:`panspectra_hsi.pipeline.PixelClassifier`.
    """

    def __init__(self, estimator) -> None:
        super().__init__()
        self.estimator = estimator

    def _save_to_state_dict(self, destination, prefix, keep_vars) -> None:
        for key, value in self.estimator.state_dict().items():
            destination[prefix + key] = value

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, errors
    ) -> None:
        own = {k[len(prefix) :]: v for k, v in state_dict.items() if k.startswith(prefix)}
        result = self.estimator.load_state_dict(own)
        missing_keys.extend(prefix + key for key in result.missing_keys)
        unexpected_keys.extend(prefix + key for key in result.unexpected_keys)

    def forward(self, x: Tensor) -> Tensor:
        raise TypeError("an sklearn member classifies spectra through its PixelClassifier")


def as_member(model) -> nn.Module:
    """``model`` itself for a torch network, wrapped in :class:`SklearnMember` for a baseline."""
    return SklearnMember(model) if getattr(model, "is_sklearn", False) else model


def member_model(module: nn.Module):
    """Inverse of :func:`as_member`: the network, or the wrapped sklearn baseline."""
    return module.estimator if isinstance(module, SklearnMember) else module


class MemberModels(nn.Module):
    """The models of a mixed ensemble, stored together (one ``state_dict``, one checkpoint).

    It has no forward pass of its own: member ``i`` takes patches ``(batch, C_i, p_i, p_i)``
    made with its own preprocessing. :class:`panspectra_hsi.pipeline.mixed.MixedClassifier`
    runs the members and averages their probabilities. sklearn baselines are kept as
    :class:`SklearnMember` modules.
    """

    def __init__(self, members: list) -> None:
        super().__init__()
        if not members:
            raise ValueError("a mixed ensemble needs at least one member")
        self.members = nn.ModuleList([as_member(member) for member in members])

    def forward(self, x: Tensor) -> Tensor:
        raise TypeError(
            "a mixed ensemble's members take differently preprocessed patches; "
            "classify through panspectra_hsi.pipeline.MixedClassifier"
        )


# two SSFTTs (13×13 patches) and one LoLA-SpecViT (9×9), each trained with its own recipe; the
# ensemble filters the averaged probability map like the SSFTT recipe (docs/hsi_models.md)
@register_model(
    domain="hsi",
    tags=("ensemble", "mixed"),
    recipe={"members": ["ssftt", "ssftt", "lola_specvit"], "smooth_radius": 1},
)
def mixed_ensemble(members: list[dict]) -> MemberModels:
    """Different models, own recipes and preprocessing, probabilities averaged (--members).

    ``members``: ``[{"model": NAME, "kwargs": {...}}]``, the registry builders of the members'
    models (the recipe's default: ssftt, ssftt, lola_specvit; sklearn baselines too).
    """
    return MemberModels([create_model(m["model"], **m["kwargs"]) for m in members])
