"""Hyperspectral patch classifiers; importing this module registers every ``hsi`` model with its
training recipe (``register_model(..., recipe=...)`` beside each builder).

Torch models map (batch, bands, patch, patch) float32 -> (batch, num_classes) logits and share
the :class:`~panspectra_hsi.models.base.PatchClassifier` contract (forward_features /
forward_head / reset_head / enable_lora). The sklearn baselines (``svm``, ``rf``) classify single
spectra and carry ``is_sklearn = True``.
"""

from . import checkpoint_rules  # noqa: F401 (registers the hsi checkpoint validator)
from .base import PatchClassifier
from .ensemble import ProbabilityEnsemble
from .lola_specvit import LoLASpecViT
from .sklearn_baselines import SpectralSklearnClassifier
from .spectral_mlp import SpectralMLP
from .spectralformer import SpectralFormer
from .ss_mamba import SpatialSpectralMamba
from .ssftt import SSFTT

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
