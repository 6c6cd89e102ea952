"""Classical per-pixel baselines: RBF-SVM (Melgani & Bruzzone 2004, IEEE TGRS 42, "Classification
of hyperspectral remote sensing images with support vector machines") and random forest
(Breiman 2001; Ham et al. 2005 for hyperspectral data).

Both classify single spectra: ``X`` is (n, bands) (a (n, bands, p, p) patch batch is reduced to
its centre pixel). Spectra are standardised inside the pipeline, so raw or already standardised
input both work. The builders follow the hsi contract ``(num_bands, num_classes, patch_size,
**overrides)`` and return objects with ``fit / predict_proba / predict / classes_`` and
``is_sklearn = True`` so training code can branch on it.

Checkpoints: the fitted pipeline is serialised with skops (``skops.io``, the scikit-learn
persistence format that loads without pickle and refuses types it does not trust) into a uint8
tensor, so the baselines go through the core's ``.safetensors`` checkpoint like every torch model
(:meth:`SpectralSklearnClassifier.state_dict` / :meth:`~SpectralSklearnClassifier.load_state_dict`).
Decision trees are the one type skops flags (raw node indices are used without bounds checks), so
after loading every tree's node arrays are checked before the model may predict.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import torch
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from panspectra_core.errors import UserError
from panspectra_core.registry import register_model

STATE_KEY = "skops"
#: sklearn's tree storage: trusted only together with :func:`check_tree_nodes`
TREE_TYPE = "sklearn.tree._tree.Tree"


class _LoadResult(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


def check_tree_nodes(pipeline: Any) -> None:
    """Refuse decision trees whose node arrays point outside the tree or the feature range.

    Raises:
        ValueError: a child index not in [0, node_count) (or -1 for both children of a leaf),
            or a split feature not in [0, n_features).
    """
    for step in getattr(pipeline, "steps", [("", pipeline)]):
        estimator = step[1]
        for tree_model in getattr(estimator, "estimators_", []):
            tree = tree_model.tree_
            n = tree.node_count
            left, right, feature = tree.children_left, tree.children_right, tree.feature
            leaf = left == -1
            ok = (
                len(left) == len(right) == len(feature) == n
                and np.all(leaf == (right == -1))
                and np.all((left[~leaf] > 0) & (left[~leaf] < n))
                and np.all((right[~leaf] > 0) & (right[~leaf] < n))
                and np.all((feature[~leaf] >= 0) & (feature[~leaf] < tree.n_features))
                and tree.value.shape[0] == n
            )
            if not ok:
                raise ValueError("a decision tree has node indices out of range")


def scores_to_probabilities(scores: np.ndarray) -> np.ndarray:
    """Softmax over the last axis of one-vs-rest decision scores ``(..., K)`` (a binary
    problem's single margin ``(n,)`` becomes ``(n, 2)``): a monotone score, not a calibrated
    probability."""
    if scores.ndim == 1:  # binary problem: one margin
        scores = np.stack([-scores, scores], axis=1)
    scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return scores / scores.sum(axis=-1, keepdims=True)


class SpectralSklearnClassifier:
    """A scikit-learn pipeline behind the hsi baseline interface.

    Args:
        pipeline: an unfitted sklearn estimator/pipeline with ``predict_proba``.
        num_bands: expected spectrum length (checked on fit/predict).
        num_classes: number of classes of the task (informational; ``classes_`` comes from fit).
        score_scale: for estimators without ``predict_proba`` (the SVM), the decision scores
            are multiplied by this before the softmax: larger = sharper probabilities. The
            arg-max does not change, but an average of probability maps (a probability
            filter, a mixed ensemble) weighs confident pixels more.
    """

    is_sklearn = True

    def __init__(
        self, pipeline: Pipeline, num_bands: int, num_classes: int, score_scale: float = 1.0
    ) -> None:
        self.pipeline = pipeline
        self.num_bands = num_bands
        self.num_classes = num_classes
        self.score_scale = float(score_scale)

    def _spectra(self, X: Any) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 4:  # (n, bands, p, p) patches -> centre spectra
            X = X[:, :, X.shape[2] // 2, X.shape[3] // 2]
        if X.ndim != 2 or X.shape[1] != self.num_bands:
            raise ValueError(f"expected spectra (n, {self.num_bands}), got {X.shape}")
        return X

    def fit(self, X: Any, y: Any) -> SpectralSklearnClassifier:
        """Fit on spectra X: (n, bands) with integer labels y: (n,)."""
        self.pipeline.fit(self._spectra(X), np.asarray(y))
        return self

    @property
    def classes_(self) -> np.ndarray:
        return self.pipeline.classes_

    def predict_proba(self, X: Any) -> np.ndarray:
        """(n, bands) -> (n, len(classes_)) class probabilities (rows sum to 1).

        Estimators without ``predict_proba`` (the SVM) get :func:`scores_to_probabilities` of
        their one-vs-rest decision function times ``score_scale``.
        """
        spectra = self._spectra(X)
        if hasattr(self.pipeline, "predict_proba"):
            return self.pipeline.predict_proba(spectra)
        return scores_to_probabilities(self.score_scale * self.pipeline.decision_function(spectra))

    def predict(self, X: Any) -> np.ndarray:
        """(n, bands) -> (n,) labels from ``classes_`` (argmax of ``predict_proba``)."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    # -- the checkpoint protocol of panspectra_core.checkpoint (state_dict / load_state_dict) --
    def state_dict(self) -> dict[str, torch.Tensor]:
        """The fitted pipeline as skops bytes: ``{"skops": uint8 tensor}``."""
        import skops.io

        data = skops.io.dumps(self.pipeline)
        return {STATE_KEY: torch.frombuffer(bytearray(data), dtype=torch.uint8)}

    def load_state_dict(self, state: dict[str, torch.Tensor], strict: bool = True) -> _LoadResult:
        """Restore the fitted pipeline from :meth:`state_dict` output (no pickle).

        Only the types skops trusts by default are accepted, plus sklearn's tree storage, whose
        node arrays are then checked (:func:`check_tree_nodes`).

        Raises:
            UserError: the bytes are not a skops file, hold untrusted types, or a broken tree.
        """
        import skops.io

        unexpected = sorted(set(state) - {STATE_KEY})
        if STATE_KEY not in state:
            return _LoadResult([STATE_KEY], unexpected)
        data = state[STATE_KEY].cpu().numpy().tobytes()
        try:
            untrusted = skops.io.get_untrusted_types(data=data)
            if set(untrusted) - {TREE_TYPE}:
                raise ValueError(f"untrusted types {sorted(set(untrusted) - {TREE_TYPE})}")
            pipeline = skops.io.loads(data, trusted=untrusted or None)
            check_tree_nodes(pipeline)
        except Exception as exc:  # skops raises several types for malformed files
            raise UserError(f"sklearn model in the checkpoint refused: {exc}") from None
        self.pipeline = pipeline
        return _LoadResult([], unexpected)

    def to(self, *args: Any, **kwargs: Any) -> SpectralSklearnClassifier:
        """No-op (CPU estimator); present so checkpoint code can treat every model alike."""
        return self

    def eval(self) -> SpectralSklearnClassifier:
        """No-op; see :meth:`to`."""
        return self


@register_model(domain="hsi", tags=("sklearn", "spectral"))
def svm(
    num_bands: int,
    num_classes: int,
    patch_size: int = 1,
    score_scale: float = 1.0,
    **overrides: Any,
) -> SpectralSklearnClassifier:
    """RBF-SVM on standardised spectra (C=100, gamma='scale', balanced class weights).

    Probabilities are the softmax of ``score_scale`` × the one-vs-rest scores (the ``svm``
    recipe sets 3, see :mod:`panspectra_hsi.models.recipes`).
    """
    params = {"C": 100.0, "gamma": "scale", "class_weight": "balanced"}
    params |= overrides
    params["decision_function_shape"] = "ovr"
    return SpectralSklearnClassifier(
        make_pipeline(StandardScaler(), SVC(**params)), num_bands, num_classes, score_scale
    )


@register_model(domain="hsi", tags=("sklearn", "spectral"))
def rf(
    num_bands: int, num_classes: int, patch_size: int = 1, **overrides: Any
) -> SpectralSklearnClassifier:
    """Random forest on standardised spectra (300 trees, sqrt features, all cores)."""
    params = {"n_estimators": 300, "max_features": "sqrt", "n_jobs": -1, "random_state": 0}
    params |= overrides
    return SpectralSklearnClassifier(
        make_pipeline(StandardScaler(), RandomForestClassifier(**params)), num_bands, num_classes
    )
