"""Training, evaluation and tiled prediction as Python functions (the CLI is a thin layer)."""

from panspectra_hsi.pipeline.classifier import HsiPredictor, PixelClassifier
from panspectra_hsi.pipeline.config import finalize, member_config
from panspectra_hsi.pipeline.evaluate import evaluate_classifier
from panspectra_hsi.pipeline.mixed import MixedClassifier, load_classifier
from panspectra_hsi.pipeline.runs import train_run
from panspectra_hsi.pipeline.tiling import classify_window, predict_to_file, tiles
from panspectra_hsi.pipeline.train import TrainResult, classify_scene, make_split, train_classifier

__all__ = [
    "HsiPredictor",
    "MixedClassifier",
    "PixelClassifier",
    "TrainResult",
    "classify_scene",
    "classify_window",
    "evaluate_classifier",
    "finalize",
    "load_classifier",
    "make_split",
    "member_config",
    "predict_to_file",
    "tiles",
    "train_classifier",
    "train_run",
]
