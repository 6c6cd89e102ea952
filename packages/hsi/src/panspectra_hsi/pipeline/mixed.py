"""A mixed ensemble: different trained classifiers, each with its own preprocessing, patch size
and test-time augmentation, whose class probabilities are averaged.

Averaging the softmax of independently trained networks (Lakshminarayanan, Pritzel & Blundell
2017, "Simple and Scalable Predictive Uncertainty Estimation using Deep Ensembles") gains most
when the members make different mistakes; members of different architectures with different
receptive fields (SSFTT on 13×13 patches, LoLA-SpecViT on 9×9) differ more than copies of one
model. :class:`MixedClassifier` is the inference object: tiled prediction
(:func:`panspectra_hsi.pipeline.tiling.window_probabilities`) runs every member on its own patches
of the same window and averages::

    p(x) = sum_i w_i * p_i(x),   sum_i w_i = 1   (probabilities of each pixel, (K,))

The spatial smoothing of the probability map is the ensemble's (the members' own is not used).
It round-trips through one self-describing checkpoint: the members' weights under
``model.members.<i>.``, their preprocessing arrays as ``extra.member<i>.<name>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from panspectra_core.checkpoint import Checkpoint
from panspectra_hsi.components import SMOOTHERS
from panspectra_hsi.models.ensemble import MemberModels, member_model
from panspectra_hsi.options import MIXED_ENSEMBLE, TTA_VIEWS
from panspectra_hsi.pipeline.classifier import DOMAIN, HsiPredictor, PixelClassifier


@dataclass
class MixedClassifier(HsiPredictor):
    """Trained member classifiers of one class table, probabilities averaged.

    Attributes:
        members: :class:`PixelClassifier` objects (torch models or sklearn baselines) with the
            same classes and input bands; their ``smooth_radius`` is ignored.
        weights: one non-negative weight per member (normalised to sum 1); ``None`` = equal.
        smooth_radius, smooth_method: filter of the averaged probability map (0 = off).
        smooth_edge_scale: the random walker's edge scale (edges weighed on the first member's
            features).
    """

    members: list[PixelClassifier]
    weights: list[float] | None = None
    smooth_radius: int = 0
    smooth_method: str = "box"
    smooth_edge_scale: float = 0.0
    model_name: str = field(default=MIXED_ENSEMBLE, init=False)

    def __post_init__(self) -> None:
        if not self.members:
            raise ValueError("a mixed ensemble needs at least one member")
        first = self.members[0]
        for member in self.members[1:]:
            if member.label_values != first.label_values or member.num_bands != first.num_bands:
                raise ValueError("mixed ensemble members must share classes and input bands")
        weights = [1.0] * len(self.members) if self.weights is None else list(self.weights)
        if len(weights) != len(self.members) or min(weights) < 0 or sum(weights) <= 0:
            raise ValueError(f"need one non-negative weight per member, got {self.weights}")
        self.weights = [w / sum(weights) for w in weights]
        if self.smooth_radius < 0:
            raise ValueError(f"smooth_radius must be >= 0, got {self.smooth_radius}")
        SMOOTHERS.check(self.smooth_method, option="smooth_method")
        self.model = MemberModels([member.model for member in self.members])

    # -- what tiled prediction and evaluation read ------------------------------------------
    @property
    def class_names(self) -> list[str]:
        return self.members[0].class_names

    @property
    def label_values(self) -> list[int]:
        return self.members[0].label_values

    @property
    def ignore_label(self) -> int:
        return self.members[0].ignore_label

    @property
    def wavelengths(self) -> list[float] | None:
        return self.members[0].wavelengths

    @property
    def num_bands(self) -> int:
        return self.members[0].num_bands

    @property
    def edge_preprocessor(self):
        """The preprocessor whose features weigh the random walker's edges (first member's)."""
        return self.members[0].preprocessor

    @property
    def radius(self) -> int:
        """The widest member's patch radius (the halo a window needs)."""
        return max(member.radius for member in self.members)

    @property
    def patch_size(self) -> int:
        return 2 * self.radius + 1

    @property
    def tta(self) -> list[int]:
        return [member.tta for member in self.members]

    @tta.setter
    def tta(self, views: int) -> None:
        """Use ``views`` test-time augmentation views in every member."""
        if views not in TTA_VIEWS:
            raise ValueError(f"tta must be one of {TTA_VIEWS} views, got {views}")
        for member in self.members:
            member.tta = 1 if member.is_sklearn else views  # a single spectrum has no views

    # -- checkpoint -------------------------------------------------------------------------
    def save(self, path: str | Path, *, config: dict, metrics: dict, protocol: dict) -> Path:
        """Write all members into one self-describing checkpoint."""
        from panspectra_core.checkpoint import save_checkpoint

        extra = {
            f"member{index}.{key}": torch.from_numpy(np.asarray(value))
            for index, member in enumerate(self.members)
            for key, value in member.preprocessor.state().items()
        }
        return save_checkpoint(
            path,
            self.model,
            model_name=MIXED_ENSEMBLE,
            model_kwargs={
                "members": [{"model": m.model_name, "kwargs": m.model_kwargs} for m in self.members]
            },
            domain=DOMAIN,
            preprocessing={
                "patch_size": self.patch_size,
                "num_bands_in": self.num_bands,
                "class_names": list(self.class_names),
                "label_values": [int(v) for v in self.label_values],
                "ignore_label": int(self.ignore_label),
                "wavelengths": self.wavelengths,
                "smooth_radius": int(self.smooth_radius),
                "smooth_method": self.smooth_method,
                "smooth_edge_scale": float(self.smooth_edge_scale),
                "weights": self.weights,
                "members": [m.checkpoint_preprocessing() for m in self.members],
            },
            config={**config, "protocol": protocol},
            metrics=metrics,
            input_spec={
                "x": [
                    ["batch", m.preprocessor.num_features, m.patch_size, m.patch_size]
                    for m in self.members
                ],
                "raw_bands": self.num_bands,
            },
            extra_tensors=extra,
        )

    # -- Predictor: raw patches of the widest member's size ----------------------------------
    def preprocess(self, items: Sequence[Any]) -> torch.Tensor:
        """Raw patches ``(p, p, B)`` (``p`` = the widest member's) → ``(n, p, p, B)``; each
        member crops and preprocesses its own in :meth:`predict_batch`."""
        return torch.from_numpy(np.stack([np.asarray(i, dtype=np.float32) for i in items]))

    def predict_batch(self, batch: torch.Tensor) -> torch.Tensor:
        """The members' class probabilities ``(n, K)``, weighted and summed."""
        total = None
        for weight, member in zip(self.weights, self.members):
            cut = self.radius - member.radius
            raw = batch[:, cut : batch.shape[1] - cut, cut : batch.shape[2] - cut]
            proba = member.predict_batch(member.preprocess(list(raw.numpy())))
            total = weight * proba if total is None else total + weight * proba
        return total

    @classmethod
    def from_checkpoint(cls, checkpoint: Checkpoint, *, device: str = "cpu") -> MixedClassifier:
        """Rebuild from a checkpoint written by :meth:`save` (``MixedClassifier.load(path)``)."""
        meta = checkpoint.meta
        prep = meta.preprocessing
        members = []
        for index, (network, spec, member_prep) in enumerate(
            zip(checkpoint.model.members, meta.model_kwargs["members"], prep["members"])
        ):
            prefix = f"member{index}."
            state = {
                key[len(prefix) :]: value
                for key, value in checkpoint.extra_tensors.items()
                if key.startswith(prefix)
            }
            member = PixelClassifier.from_checkpoint_parts(
                member_model(network),
                member_prep,
                state,
                model_name=spec["model"],
                model_kwargs=spec["kwargs"],
            )
            members.append(replace(member, smooth_radius=0))  # the ensemble smooths the mean
        mixed = cls(
            members=members,
            weights=[float(w) for w in prep["weights"]],
            smooth_radius=int(prep.get("smooth_radius", 0)),
            smooth_method=str(prep.get("smooth_method", "box")),
            smooth_edge_scale=float(prep.get("smooth_edge_scale", 0.0)),
        )
        mixed.model.to(device)
        return mixed


def load_classifier(path: str | Path, device: str = "cpu") -> PixelClassifier | MixedClassifier:
    """The classifier stored in an hsi checkpoint: one model or a mixed ensemble.

    Raises:
        CheckpointError: unreadable, or not written by an hsi command.
    """
    from panspectra_core.checkpoint import read_checkpoint_meta

    mixed = read_checkpoint_meta(path).model_name == MIXED_ENSEMBLE
    return (MixedClassifier if mixed else PixelClassifier).load(path, device=device)
