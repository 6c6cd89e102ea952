"""Hyperspectral patch classifiers; importing this module registers every ``hsi`` model with its
training recipe (``register_model(..., recipe=...)`` beside each builder).

Torch models map (batch, bands, patch, patch) float32 -> (batch, num_classes) logits and share
the :class:`~panspectra_hsi.models.base.PatchClassifier` contract (forward_features /
forward_head / reset_head / enable_lora). The sklearn baselines (``svm``, ``rf``) classify single
spectra and carry ``is_sklearn = True``.
"""

from dataclasses import replace

from panspectra_core.registry import MODELS

from .base import PatchClassifier
from .ensemble import ProbabilityEnsemble
from .lola_specvit import LoLASpecViT
from .sklearn_baselines import SpectralSklearnClassifier
from .spectral_mlp import SpectralMLP
from .spectralformer import SpectralFormer
from .ss_mamba import SpatialSpectralMamba
from .ssftt import SSFTT

#: recipes of the sklearn baselines, attached to their registry entries here because their
#: module registers them without one (per-pixel spectra, no epochs; the SVM's decision scores
#: ×3 before the softmax, see SpectralSklearnClassifier)
SKLEARN_RECIPES = {
    "svm": {
        "patch_size": 1,
        "epochs": 0,
        "pca_components": None,
        "model_kwargs": {"score_scale": 3.0},
    },
    "rf": {"patch_size": 1, "epochs": 0, "pca_components": None},
}
for _name, _recipe in SKLEARN_RECIPES.items():
    _entry = MODELS._entries[_name]
    if _entry.recipe is None:
        MODELS._entries[_name] = replace(_entry, recipe=_recipe)

__all__ = [
    "SSFTT",
    "LoLASpecViT",
    "PatchClassifier",
    "ProbabilityEnsemble",
    "SpatialSpectralMamba",
    "SpectralFormer",
    "SpectralMLP",
    "SpectralSklearnClassifier",
]
