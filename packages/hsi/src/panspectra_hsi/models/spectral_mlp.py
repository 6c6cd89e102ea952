"""Per-pixel spectral MLP: the fast torch baseline (no spatial context, patch 1).

A multilayer perceptron on single spectra is the oldest neural hyperspectral classifier
(e.g. Benediktsson, Swain & Ersoy 1990, "Neural network approaches versus statistical methods
in classification of multisource remote sensing data", IEEE TGRS 28(4):540–552). Here it
serves as the model for large-scene throughput (it is ~1000× cheaper per pixel than a patch
transformer) and as a torch counterpart of the SVM baseline::

    x: (batch, bands, p, p) -> centre spectrum (batch, bands)
       -> [Linear -> BatchNorm -> GELU -> Dropout] x depth -> (batch, hidden) = forward_features
"""

from __future__ import annotations

from torch import Tensor, nn

from panspectra_core.registry import register_model

from .base import PatchClassifier


class SpectralMLP(PatchClassifier):
    """MLP on the centre spectrum of each patch (patch 1 is the intended use).

    Args:
        num_bands, num_classes, patch_size: contract (only the centre pixel is used).
        hidden: width of the hidden layers; depth: number of hidden layers.
        dropout: dropout after every hidden layer.
    """

    lora_targets = ("body.*",)

    def __init__(
        self,
        num_bands: int,
        num_classes: int,
        patch_size: int = 1,
        hidden: int = 128,
        depth: int = 2,
        dropout: float = 0.2,
    ) -> None:
        super().__init__(num_bands, num_classes, patch_size)
        layers, width = [], num_bands
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.BatchNorm1d(hidden), nn.GELU()]
            layers.append(nn.Dropout(dropout))
            width = hidden
        self.body = nn.Sequential(*layers)
        self.num_features = width
        self._make_head(num_classes)

    def forward_features(self, x: Tensor) -> Tensor:
        self.check_input(x)
        centre = x.shape[-1] // 2
        return self.body(x[:, :, centre, centre])


@register_model(
    domain="hsi",
    tags=("mlp", "spectral"),
    recipe={"patch_size": 1, "epochs": 100, "lr": 1e-3, "batch_size": 64, "pca_components": None},
)
def spectral_mlp(num_bands: int, num_classes: int, patch_size: int = 1, **overrides) -> SpectralMLP:
    """Per-pixel MLP on spectra (2×128, BatchNorm, GELU): fast large-scene inference."""
    return SpectralMLP(num_bands, num_classes, patch_size, **overrides)
