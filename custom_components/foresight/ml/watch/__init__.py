"""Short-horizon forecasts of any numeric sensor, and the time until it crosses a limit.

Pure Python, NumPy and pandas (no Home Assistant, no scikit-learn):

* :func:`fit_sensor_forecaster` chooses a grid step from the data (5 to 60 minutes), backtests
  a small per-lead ridge model against naive baselines and calibrates P10/P90 per lead;
* :meth:`SensorForecaster.forecast` forecasts the next 1-48 hours with exact additive
  explanations (current level + recent trend + daily pattern + ...) from the samples of the
  last :data:`FORECAST_CONTEXT` (8 days);
* :func:`crossing` turns a forecast into the probability and ETA of crossing a limit;
* :meth:`SensorForecaster.to_dict` / :meth:`SensorForecaster.from_dict` store it as JSON.
"""

from .backtest import WatchBacktest
from .baselines import BASELINE_NAMES
from .crossing import Crossing, crossing
from .errors import NoRecentDataError, NotEnoughHistoryError, WatchError
from .forecast import SensorForecast
from .forecaster import (
    CONTEXT as FORECAST_CONTEXT,
    MAX_STALE_HOURS,
    MIN_HISTORY_HOURS,
    SensorForecaster,
    fit_sensor_forecaster,
)
from .grid import choose_step
from .settings import ThresholdSettings, WatchSettings

__all__ = [
    "BASELINE_NAMES",
    "FORECAST_CONTEXT",
    "MAX_STALE_HOURS",
    "MIN_HISTORY_HOURS",
    "Crossing",
    "NoRecentDataError",
    "NotEnoughHistoryError",
    "SensorForecast",
    "SensorForecaster",
    "ThresholdSettings",
    "WatchBacktest",
    "WatchError",
    "WatchSettings",
    "choose_step",
    "crossing",
    "fit_sensor_forecaster",
]
