"""Hyperspectral patch classifiers; importing this module registers every ``hsi`` model.

Torch models map (batch, bands, patch, patch) float32 -> (batch, num_classes) logits and share
the :class:`~panspectra_hsi.models.base.PatchClassifier` contract (forward_features /
forward_head / reset_head / enable_lora). The sklearn baselines (``svm``, ``rf``) classify single
spectra and carry ``is_sklearn = True``. Training recipes live in
:mod:`panspectra_hsi.models.recipes`.
"""

from .base import PatchClassifier
from .ensemble import ProbabilityEnsemble
from .lola_specvit import LoLASpecViT
from .recipes import DEFAULT_MODEL, Recipe, get_recipe, recipe_names
from .sklearn_baselines import SpectralSklearnClassifier
from .spectral_mlp import SpectralMLP
from .spectralformer import SpectralFormer
from .ss_mamba import SpatialSpectralMamba
from .ssftt import SSFTT

__all__ = [
    "DEFAULT_MODEL",
    "SSFTT",
    "LoLASpecViT",
    "PatchClassifier",
    "ProbabilityEnsemble",
    "Recipe",
    "SpatialSpectralMamba",
    "SpectralFormer",
    "SpectralMLP",
    "SpectralSklearnClassifier",
    "get_recipe",
    "recipe_names",
]
