"""Executor-side work of a sensor watch: fit the sensor forecaster, turn its output into data.

Sensors other than energy (a freezer, a room, a battery, the soil) are forecast at the pace
of their readings, up to two days ahead; when a limit is configured, the forecast also says
how likely and how soon the sensor crosses it.
"""

from dataclasses import dataclass, field
from datetime import datetime
import logging
import math
from typing import TYPE_CHECKING, Any

from .ml.watch import (
    NotEnoughHistoryError,
    SensorForecaster,
    ThresholdSettings,
    WatchError,
    WatchSettings,
    crossing,
    fit_sensor_forecaster,
)
from .options import Threshold

if TYPE_CHECKING:
    import pandas as pd

_LOGGER = logging.getLogger(__name__)

#: Readings a forecaster needs before the hourly history is used instead (two days at 5 min).
MIN_SAMPLES = 576


@dataclass(frozen=True, slots=True)
class CrossingView:
    """The outlook of the limit as plain values."""

    limit: float
    direction: str
    probability: float
    warning: bool
    already_past: bool
    eta_p10_hours: float | None
    eta_p50_hours: float | None
    eta_p90_hours: float | None
    text: str


@dataclass(frozen=True, slots=True)
class WatchView:
    """A sensor forecast at the sensor's own pace, as plain values."""

    step_minutes: int
    steps: list[dict[str, Any]] = field(default_factory=list)
    crossing: CrossingView | None = None


def fit_watch(
    samples: pd.DataFrame | None, hourly: pd.DataFrame, settings: WatchSettings
) -> SensorForecaster | None:
    """Fit on the readings where there are enough, else on the hourly history; None if neither."""
    import pandas as pd  # noqa: PLC0415 - executor only: never imported in the event loop

    candidates = []
    if samples is not None and samples["target"].notna().sum() >= MIN_SAMPLES:
        # Readings carry none of the hourly history's flags (periods to ignore, calendar
        # events, implausible values): each takes those of its hour.
        hours = pd.DatetimeIndex(samples.index).floor("h")
        excluded = hourly["excluded"].reindex(hours, fill_value=False)
        candidates.append(samples.assign(excluded=excluded.to_numpy(dtype=bool)))
    candidates.append(hourly[["target", "excluded", *settings.feature_columns]])
    for frame in candidates:
        try:
            return fit_sensor_forecaster(frame, settings)
        except NotEnoughHistoryError as err:
            _LOGGER.debug("Not enough history for the sensor forecaster: %s", err)
    return None


def watch_view(
    forecaster: SensorForecaster,
    recent: pd.DataFrame,
    now: datetime,
    threshold: Threshold | None,
    unit: str,
) -> WatchView | None:
    """Forecast from the recent readings and judge the limit; None without recent readings."""
    import pandas as pd  # noqa: PLC0415 - executor only: never imported in the event loop

    try:
        forecast = forecaster.forecast(recent, pd.Timestamp(now))
    except WatchError as err:
        _LOGGER.debug("No sensor forecast: %s", err)
        return None
    steps = forecast.to_records()
    for index, step in enumerate(steps):
        step["explanation"] = forecast.explain(index, unit)
    outlook = None
    if threshold is not None:
        result = crossing(
            forecast,
            ThresholdSettings(
                limit=threshold.limit,
                direction=threshold.direction,  # type: ignore[arg-type]
                warning_hours=float(threshold.warning_hours),
                warning_probability=threshold.warning_probability / 100,
            ),
        )
        outlook = CrossingView(
            limit=threshold.limit,
            direction=threshold.direction,
            probability=round(result.probability, 3),
            warning=result.warning,
            already_past=result.already_past,
            eta_p10_hours=_hours(result.eta_p10_hours),
            eta_p50_hours=_hours(result.eta_p50_hours),
            eta_p90_hours=_hours(result.eta_p90_hours),
            text=result.text,
        )
    return WatchView(
        step_minutes=int(forecaster.step.total_seconds() // 60), steps=steps, crossing=outlook
    )


def _hours(value: float | None) -> float | None:
    return round(value, 2) if value is not None and math.isfinite(value) else None
