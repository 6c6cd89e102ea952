"""Accuracy assessment of classification maps (OA, AA, kappa, per-class accuracy/F1, confusion)."""

from panspectra_hsi.eval.metrics import HEADLINE_KEYS, classification_metrics, format_headline

__all__ = ["HEADLINE_KEYS", "classification_metrics", "format_headline"]
