"""PanSpectra time series: long-horizon forecasting on any CSV/Parquet file (``ts-forecast``).

- :mod:`panspectra_ts.data` — loading, time-axis checks, calendar features, split protocol;
- :mod:`panspectra_ts.eval` — MSE/MAE over all test windows, per-target errors;
- :mod:`panspectra_ts.pipeline` — train / evaluate / predict as functions;
- :mod:`panspectra_ts.models` — registered forecasters (domain ``"ts"``) and their recipes.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("panspectra-ts")
except PackageNotFoundError:  # source tree without installation
    __version__ = "0.0.0+unknown"
