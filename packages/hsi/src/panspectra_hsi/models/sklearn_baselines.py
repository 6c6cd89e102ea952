"""Classical per-pixel baselines: RBF-SVM (Melgani & Bruzzone 2004, IEEE TGRS 42, "Classification
of hyperspectral remote sensing images with support vector machines") and random forest
(Breiman 2001; Ham et al. 2005 for hyperspectral data).

Both classify single spectra: ``X`` is (n, bands) (a (n, bands, p, p) patch batch is reduced to
its centre pixel). Spectra are standardised inside the pipeline, so raw or already standardised
input both work. The builders follow the hsi contract ``(num_bands, num_classes, patch_size,
**overrides)`` and return objects with ``fit / predict_proba / predict / classes_`` and
``is_sklearn = True`` so training code can branch on it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from panspectra_core.registry import register_model


class SpectralSklearnClassifier:
    """A scikit-learn pipeline behind the hsi baseline interface.

    Args:
        pipeline: an unfitted sklearn estimator/pipeline with ``predict_proba``.
        num_bands: expected spectrum length (checked on fit/predict).
        num_classes: number of classes of the task (informational; ``classes_`` comes from fit).
    """

    is_sklearn = True

    def __init__(self, pipeline: Pipeline, num_bands: int, num_classes: int) -> None:
        self.pipeline = pipeline
        self.num_bands = num_bands
        self.num_classes = num_classes

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

        Estimators without ``predict_proba`` (the SVM) get a softmax of their one-vs-rest
        decision function: a monotone score, not a calibrated probability.
        """
        spectra = self._spectra(X)
        if hasattr(self.pipeline, "predict_proba"):
            return self.pipeline.predict_proba(spectra)
        scores = self.pipeline.decision_function(spectra)
        if scores.ndim == 1:  # binary problem: one margin
            scores = np.stack([-scores, scores], axis=1)
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        return scores / scores.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        """(n, bands) -> (n,) labels from ``classes_`` (argmax of ``predict_proba``)."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


@register_model(domain="hsi", tags=("sklearn", "spectral"))
def svm(
    num_bands: int, num_classes: int, patch_size: int = 1, **overrides: Any
) -> SpectralSklearnClassifier:
    """RBF-SVM on standardised spectra (C=100, gamma='scale', balanced class weights)."""
    params = {"C": 100.0, "gamma": "scale", "class_weight": "balanced"}
    params |= overrides
    params["decision_function_shape"] = "ovr"
    return SpectralSklearnClassifier(
        make_pipeline(StandardScaler(), SVC(**params)), num_bands, num_classes
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
