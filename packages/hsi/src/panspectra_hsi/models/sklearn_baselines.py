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
skops alone is not enough (scikit-learn's compiled code trusts tree node indices and libsvm's
array sizes), so loading goes through :func:`panspectra_core.safe_sklearn.load_fitted`: only the
types the registered builder's pipeline produces are accepted, every tree's arrays are checked
before scikit-learn builds it, and every fitted attribute handed to compiled code is checked after.
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
from panspectra_core.safe_sklearn import load_fitted

STATE_KEY = "skops"


class _LoadResult(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


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

        The bytes must hold a fitted copy of the pipeline this model's builder made (same
        types and parameters) on ``num_bands`` features, validated before and after skops builds
        it (:func:`panspectra_core.safe_sklearn.load_fitted`).

        Raises:
            UserError: not a skops file, a type the builder does not produce, or arrays that
                scikit-learn's compiled code would read out of bounds or loop on.
        """
        unexpected = sorted(set(state) - {STATE_KEY})
        if STATE_KEY not in state:
            return _LoadResult([STATE_KEY], unexpected)
        tensor = state[STATE_KEY]
        if tensor.dtype != torch.uint8 or tensor.ndim != 1:
            raise UserError("sklearn model in the checkpoint refused: expected a 1-D uint8 tensor")
        try:
            pipeline = load_fitted(tensor.cpu().numpy().tobytes(), self.pipeline, self.num_bands)
        except Exception as exc:  # skops raises several types for malformed files
            message = " ".join(str(exc).split())
            raise UserError(f"sklearn model in the checkpoint refused: {message}") from None
        self.pipeline = pipeline
        return _LoadResult([], unexpected)

    def to(self, *args: Any, **kwargs: Any) -> SpectralSklearnClassifier:
        """No-op (CPU estimator); present so checkpoint code can treat every model alike."""
        return self

    def eval(self) -> SpectralSklearnClassifier:
        """No-op; see :meth:`to`."""
        return self


#: per-pixel spectra, no epochs; the SVM's one-vs-rest scores ×3 before the softmax
SVM_RECIPE = {
    "patch_size": 1,
    "epochs": 0,
    "pca_components": None,
    "model_kwargs": {"score_scale": 3.0},
}
RF_RECIPE = {"patch_size": 1, "epochs": 0, "pca_components": None}


@register_model(domain="hsi", tags=("sklearn", "spectral"), recipe=SVM_RECIPE)
def svm(
    num_bands: int,
    num_classes: int,
    patch_size: int = 1,
    score_scale: float = 1.0,
    **overrides: Any,
) -> SpectralSklearnClassifier:
    """RBF-SVM on standardised spectra (C=100, gamma='scale', balanced class weights).

    Probabilities are the softmax of ``score_scale`` × the one-vs-rest scores (the ``svm``
    recipe sets 3).
    """
    params = {"C": 100.0, "gamma": "scale", "class_weight": "balanced"}
    params |= overrides
    params["decision_function_shape"] = "ovr"
    return SpectralSklearnClassifier(
        make_pipeline(StandardScaler(), SVC(**params)), num_bands, num_classes, score_scale
    )


@register_model(domain="hsi", tags=("sklearn", "spectral"), recipe=RF_RECIPE)
def rf(
    num_bands: int, num_classes: int, patch_size: int = 1, **overrides: Any
) -> SpectralSklearnClassifier:
    """Random forest on standardised spectra (300 trees, sqrt features, all cores)."""
    params = {"n_estimators": 300, "max_features": "sqrt", "n_jobs": -1, "random_state": 0}
    params |= overrides
    return SpectralSklearnClassifier(
        make_pipeline(StandardScaler(), RandomForestClassifier(**params)), num_bands, num_classes
    )
