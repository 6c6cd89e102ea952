"""Evaluation: streaming MSE/MAE over all windows (normalized) and per-target MAE/RMSE."""

from panspectra_ts.eval.evaluate import evaluate_split, sample_forecasts
from panspectra_ts.eval.metrics import ForecastMetrics, forecast_errors_reference

__all__ = ["ForecastMetrics", "evaluate_split", "forecast_errors_reference", "sample_forecasts"]
