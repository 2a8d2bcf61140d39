"""Explainable probabilistic forecasts of a home's hourly energy, without Home Assistant.

Train with :func:`train_forecaster`, forecast with :meth:`Forecaster.predict`, store with
:func:`dumps` / :func:`loads`. Works with NumPy alone; uses scikit-learn when installed.
"""

from .backtest import BacktestResult
from .baselines import BASELINE_NAMES
from .errors import ForecastError, ModelFileError, NotEnoughHistoryError
from .features import LOOKBACK_HOURS
from .forecast import Forecast
from .forecaster import MIN_HISTORY_HOURS, Forecaster, train_forecaster
from .persistence import dumps, loads
from .settings import ForecastSettings

__all__ = [
    "BASELINE_NAMES",
    "LOOKBACK_HOURS",
    "MIN_HISTORY_HOURS",
    "BacktestResult",
    "Forecast",
    "ForecastError",
    "ForecastSettings",
    "Forecaster",
    "ModelFileError",
    "NotEnoughHistoryError",
    "dumps",
    "loads",
    "train_forecaster",
]
