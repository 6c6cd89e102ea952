"""Long-horizon forecasting models of panspectra_ts; importing this module registers them all.

Every builder has the signature ``builder(lookback, horizon, num_channels, **overrides)`` and
returns a module mapping x (batch, lookback, num_channels) -> (batch, horizon, num_channels).
Per-paper training defaults live in :mod:`panspectra_ts.models.recipes`.
"""

from . import checkpoint_rules  # noqa: F401 (registers the ts checkpoint validator)
from .baselines import LastValue, SeasonalNaive
from .cyclenet import CycleNet, RecurrentCycle
from .decomposition import (
    EMADecomposition,
    MovingAverageDecomposition,
    exponential_moving_average,
    exponential_moving_average_ref,
    moving_average,
    moving_average_ref,
)
from .dlinear import DLinear
from .forecast_mean import ForecastMean
from .itransformer import ITransformer
from .patchtst import PatchTST
from .revin import RevIN
from .s_mamba import SMamba
from .tsmixer import TSMixer
from .xpatch import XPatch

__all__ = [
    "CycleNet",
    "DLinear",
    "EMADecomposition",
    "ForecastMean",
    "ITransformer",
    "LastValue",
    "MovingAverageDecomposition",
    "PatchTST",
    "RecurrentCycle",
    "RevIN",
    "SMamba",
    "SeasonalNaive",
    "TSMixer",
    "XPatch",
    "exponential_moving_average",
    "exponential_moving_average_ref",
    "moving_average",
    "moving_average_ref",
]
