"""Training, evaluation and tiled prediction as Python functions (the CLI is a thin layer)."""

from panspectra_hsi.pipeline.classifier import PixelClassifier
from panspectra_hsi.pipeline.evaluate import evaluate_classifier
from panspectra_hsi.pipeline.mixed import MixedClassifier, load_classifier
from panspectra_hsi.pipeline.options import TrainOptions, resolve_options
from panspectra_hsi.pipeline.runs import RunSummary, aggregate_seeds, run_training
from panspectra_hsi.pipeline.tiling import classify_window, predict_to_file, tiles
from panspectra_hsi.pipeline.train import TrainResult, classify_scene, make_split, train_classifier

__all__ = [
    "MixedClassifier",
    "PixelClassifier",
    "RunSummary",
    "TrainOptions",
    "TrainResult",
    "aggregate_seeds",
    "classify_scene",
    "classify_window",
    "evaluate_classifier",
    "load_classifier",
    "make_split",
    "predict_to_file",
    "resolve_options",
    "run_training",
    "tiles",
    "train_classifier",
]
