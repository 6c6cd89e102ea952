"""A trained classifier with the exact preprocessing it was trained with, as one object.

:class:`PixelClassifier` bundles the model (torch ``nn.Module`` or sklearn baseline), the
:class:`~panspectra_hsi.data.SpectralPreprocessor` fitted on training pixels, the patch size and
the class table. It classifies windows of raw cube data — the unit of tiled whole-scene
prediction — and round-trips through the core's self-describing ``.safetensors`` checkpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from panspectra_core.checkpoint import Checkpoint
from panspectra_core.kit import Predictor
from panspectra_hsi.components import SMOOTHERS
from panspectra_hsi.data.patches import dihedral, gather_patches
from panspectra_hsi.data.preprocessing import SpectralPreprocessor
from panspectra_hsi.options import TTA_VIEWS

DOMAIN = "hsi"
#: order in which test-time augmentation uses the dihedral views: 2 = identity + mirror,
#: 4 = + half turn and its mirror, 8 = all flips and rotations
TTA_ORDER = (0, 4, 2, 6, 1, 5, 3, 7)


class HsiPredictor(Predictor):
    """What both hsi classifiers share as :class:`~panspectra_core.kit.Predictor`: the domain,
    and the class index of each patch as the result. Items of :meth:`predict` are raw patches
    ``(p, p, B)`` of cube values centred on the pixels to classify (``p`` = :attr:`patch_size`).
    """

    domain = DOMAIN

    def postprocess(self, outputs: torch.Tensor, items: Sequence[Any]) -> list[int]:
        """Class probabilities ``(n, K)`` → 0-based class indices."""
        return [int(k) for k in outputs.argmax(dim=1)]


@dataclass
class PixelClassifier(HsiPredictor):
    """Model + preprocessing + class table.

    Attributes:
        model: ``nn.Module`` mapping ``(n, C, p, p)`` → ``(n, K)`` logits, or an sklearn baseline
            (``is_sklearn``) mapping centre spectra ``(n, C)`` to probabilities.
        preprocessor: band scaler (+ PCA) fitted on training pixels; ``C`` = its output width.
        patch_size: odd patch side ``p``.
        class_names: ``K`` names; label_values: ``K`` original label codes.
        model_name, model_kwargs: registry name and builder arguments (rebuild the model).
        ignore_label: code written for unclassified (nodata) pixels in output maps.
        tta: test-time augmentation — average the softmax over this many dihedral views of
            every patch (1 = off, 2, 4 or 8; see ``TTA_ORDER``). Torch models only.
        smooth_radius: radius of the filter applied to the predicted probability map before
            the arg-max (0 = off; :mod:`panspectra_hsi.pipeline.smoothing`).
        smooth_method: ``"box"`` mean, ``"guided"`` filter (guidance: the preprocessor's
            first principal component) or ``"random_walker"`` (``smooth_radius`` is then its
            diffusion length; edges weighed on the preprocessed features).
        smooth_edge_scale: the random walker's edge scale
            (:func:`~panspectra_hsi.pipeline.smoothing.edge_scale` of the training scene).
    """

    model: Any
    preprocessor: SpectralPreprocessor
    patch_size: int
    class_names: list[str]
    label_values: list[int]
    model_name: str
    model_kwargs: dict = field(default_factory=dict)
    ignore_label: int = 0
    wavelengths: list[float] | None = None
    tta: int = 1
    smooth_radius: int = 0
    smooth_method: str = "box"
    smooth_edge_scale: float = 0.0

    def __post_init__(self) -> None:
        if self.tta not in TTA_VIEWS:
            raise ValueError(f"tta must be 1, 2, 4 or 8 views, got {self.tta}")
        if self.smooth_radius < 0:
            raise ValueError(f"smooth_radius must be >= 0, got {self.smooth_radius}")
        SMOOTHERS.check(self.smooth_method, option="smooth_method")

    @property
    def radius(self) -> int:
        return self.patch_size // 2

    @property
    def edge_preprocessor(self) -> SpectralPreprocessor:
        """The preprocessor whose features weigh the random walker's edges."""
        return self.preprocessor

    @property
    def is_sklearn(self) -> bool:
        return bool(getattr(self.model, "is_sklearn", False))

    @property
    def num_bands(self) -> int:
        return self.preprocessor.num_bands_in

    def probabilities(self, patches: torch.Tensor) -> torch.Tensor:
        """Class probabilities ``(n, K)`` of a patch batch ``(n, C, p, p)``.

        Torch models: softmax of the logits, averaged over ``tta`` dihedral views of the
        patches. Sklearn baselines: ``predict_proba`` of the centre spectra (no TTA: a single
        pixel has no orientation).
        """
        if self.is_sklearn:
            centre = patches[:, :, self.radius, self.radius].cpu().numpy()
            proba = np.zeros((len(centre), len(self.class_names)), dtype=np.float32)
            proba[:, self.model.classes_] = self.model.predict_proba(centre)
            return torch.from_numpy(proba)
        with torch.no_grad():
            views = [dihedral(patches, k) for k in TTA_ORDER[: self.tta]]
            return torch.stack([self.model(v).softmax(dim=1) for v in views]).mean(dim=0)

    def probabilities_padded(
        self, padded: torch.Tensor, pixels: torch.Tensor, batch_size: int = 1024
    ) -> np.ndarray:
        """Class probabilities ``(N, K)`` float32 of ``pixels`` ``(N, 2)`` of a padded window."""
        if not self.is_sklearn:
            self.model.eval()
            device = next(self.model.parameters()).device
            padded = padded.to(device)
        out = [np.zeros((0, len(self.class_names)), dtype=np.float32)]
        for start in range(0, len(pixels), batch_size):
            batch = gather_patches(padded, pixels[start : start + batch_size], self.patch_size)
            out.append(self.probabilities(batch).cpu().numpy().astype(np.float32))
        return np.concatenate(out)

    def preprocess(self, items: Sequence[Any]) -> torch.Tensor:
        """Raw patches ``(p, p, B)`` → preprocessed batch ``(n, C, p, p)``."""
        raw = np.stack([np.asarray(item, dtype=np.float32) for item in items])
        return torch.from_numpy(self.preprocessor.transform(raw)).permute(0, 3, 1, 2)

    def predict_batch(self, batch: torch.Tensor) -> torch.Tensor:
        """Class probabilities ``(n, K)`` (test-time augmentation included)."""
        if not self.is_sklearn:
            batch = batch.to(next(self.model.parameters()).device)
        return self.probabilities(batch).cpu()

    def classify_padded(
        self, padded: torch.Tensor, pixels: torch.Tensor, batch_size: int = 1024
    ) -> np.ndarray:
        """0-based class indices ``(N,)`` of ``pixels`` ``(N, 2)`` (no spatial smoothing)."""
        return self.probabilities_padded(padded, pixels, batch_size).argmax(axis=1)

    # -- checkpoint -----------------------------------------------------------------------
    def checkpoint_preprocessing(self) -> dict:
        return {
            "patch_size": self.patch_size,
            "num_bands_in": self.num_bands,
            "num_features": self.preprocessor.num_features,
            "pca_components": (
                None if self.preprocessor.components is None else self.preprocessor.num_features
            ),
            "nuisance_axes": self.preprocessor.num_nuisance_axes,
            "class_names": list(self.class_names),
            "label_values": [int(v) for v in self.label_values],
            "ignore_label": int(self.ignore_label),
            "wavelengths": self.wavelengths,
            "tta": int(self.tta),
            "smooth_radius": int(self.smooth_radius),
            "smooth_method": self.smooth_method,
            "smooth_edge_scale": float(self.smooth_edge_scale),
            "standardization": "per-band mean/std of the training pixels (extra tensors)",
        }

    def save(self, path: str | Path, *, config: dict, metrics: dict, protocol: dict) -> Path:
        """Write the self-describing checkpoint (sklearn baselines as a skops byte tensor)."""
        from panspectra_core.checkpoint import save_checkpoint

        extra = {k: torch.from_numpy(np.asarray(v)) for k, v in self.preprocessor.state().items()}
        return save_checkpoint(
            path,
            self.model,
            model_name=self.model_name,
            model_kwargs=self.model_kwargs,
            domain=DOMAIN,
            preprocessing=self.checkpoint_preprocessing(),
            config={**config, "protocol": protocol},
            metrics=metrics,
            input_spec={
                "x": ["batch", self.preprocessor.num_features, self.patch_size, self.patch_size],
                "raw_bands": self.num_bands,
            },
            extra_tensors=extra,
        )

    @classmethod
    def from_checkpoint(cls, checkpoint: Checkpoint, *, device: str = "cpu") -> PixelClassifier:
        """Rebuild from a checkpoint written by :meth:`save` (``PixelClassifier.load(path)``)."""
        meta = checkpoint.meta
        classifier = cls.from_checkpoint_parts(
            checkpoint.model,
            meta.preprocessing,
            checkpoint.extra_tensors,
            model_name=meta.model_name,
            model_kwargs=meta.model_kwargs,
        )
        if not classifier.is_sklearn:
            classifier.model.to(device)
        return classifier

    @classmethod
    def from_checkpoint_parts(
        cls,
        model: Any,
        preprocessing: dict,
        extra_tensors: dict[str, torch.Tensor],
        *,
        model_name: str,
        model_kwargs: dict,
    ) -> PixelClassifier:
        """Rebuild from a rebuilt model, the :meth:`checkpoint_preprocessing` dict and the
        preprocessor arrays (also used for the members of a mixed ensemble).

        Raises:
            CheckpointError: the checkpoint holds a bare model without the classifier's
                preprocessing (saved from Python, not by ``hsi-classify train``).
        """
        from panspectra_core.checkpoint import CheckpointError

        prep = preprocessing
        missing = [k for k in ("patch_size", "class_names", "label_values") if k not in prep]
        if missing:
            raise CheckpointError(
                f"{model_name} checkpoint: no classifier preprocessing ({', '.join(missing)} "
                "missing); save classifiers with hsi-classify train"
            )
        return cls(
            model=model,
            preprocessor=SpectralPreprocessor.from_state(extra_tensors),
            patch_size=int(prep["patch_size"]),
            class_names=list(prep["class_names"]),
            label_values=[int(v) for v in prep["label_values"]],
            model_name=model_name,
            model_kwargs=dict(model_kwargs),
            ignore_label=int(prep.get("ignore_label", 0)),
            wavelengths=prep.get("wavelengths"),
            tta=int(prep.get("tta", 1)),
            smooth_radius=int(prep.get("smooth_radius", 0)),
            smooth_method=str(prep.get("smooth_method", "box")),
            smooth_edge_scale=float(prep.get("smooth_edge_scale", 0.0)),
        )
