"""Executor-side work of a prediction: forecast, score the new hours, return plain data.

Everything here runs in an executor thread; what it returns is made of plain Python values so
entities can read it in the event loop.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
import math
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np

from .const import SILENT_AFTER
from .ml.anomaly import AnomalyStatus, judges_readings, readings_on_grid
from .options import Threshold
from .watch import WatchView, watch_view

if TYPE_CHECKING:
    import pandas as pd

    from .ml.forecast import Forecast
    from .training import Models


@dataclass(frozen=True, slots=True)
class AnomalyView:
    """The anomaly verdict as plain values."""

    # None until an hour has been scored since the last training or restart.
    score: float | None
    is_anomaly: bool
    since: datetime | None
    kind: str | None
    text: str
    expected: float | None
    actual: float | None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the entities and actions show, as plain Python values."""

    issued_at: datetime
    hours: list[dict[str, Any]] = field(default_factory=list)
    today_remaining: float | None = None
    tomorrow: float | None = None
    anomaly: AnomalyView | None = None
    watch: WatchView | None = None
    # The watch's forecast is the entry's forecast (a sensor other than energy).
    watch_primary: bool = False
    insight: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Samples:
    """What the recorder kept of a target and its features, as they came (``samples.py``).

    Defined here, beside the work it feeds: the training process unpickles it, and must not
    import the recorder to do so.
    """

    # Numeric readings, indexed by UTC time: a ``target`` column and one per feature (named by
    # entity id), a row per reading of any of them (the others NaN there).
    frame: pd.DataFrame
    # The target's own states: NaN where one was not a number (``unavailable``, text, a unit
    # that cannot be converted) and where Home Assistant stopped (until it started again,
    # nothing was recorded, so the state is unknown, not unchanged).
    target: pd.Series


@dataclass(frozen=True, slots=True)
class PredictionInputs:
    """What a prediction needs besides the models and the recent history."""

    now: datetime
    unit: str
    horizon_hours: int
    # Friendly names of the feature sensors, for explanations.
    labels: dict[str, str] = field(default_factory=dict)
    # A forecast of one feature column (the weather's hourly temperature), as (hour, value).
    future_column: str | None = None
    future_rows: list[tuple[datetime, float]] = field(default_factory=list)
    threshold: Threshold | None = None


def predict(
    models: Models,
    frame: pd.DataFrame,
    inputs: PredictionInputs,
    samples: Samples | None = None,
) -> tuple[Snapshot, dict[str, Any] | None]:
    """Forecast from ``inputs.now`` and judge what completed since the last call.

    ``samples`` are the recent readings, for the sensor forecaster and for a detector that
    judges readings.
    Returns the snapshot as plain data, and the detector's state to save.
    """
    import pandas as pd  # noqa: PLC0415 - executor only: never imported in the event loop

    anomaly = _score_new(models, frame, samples, inputs.now, inputs.unit)
    detector_state = models.detector.to_dict() if models.detector is not None else None
    if models.forecaster is None:
        return Snapshot(issued_at=inputs.now, anomaly=anomaly), detector_state
    if _silent(frame, inputs.now):
        # Forecasts from empty recent days would be stand-in values that look like a forecast.
        return Snapshot(
            issued_at=inputs.now, anomaly=anomaly, insight=models.insight
        ), detector_state
    watch = None
    if models.watch is not None:
        # A forecaster trained on hourly history (too few readings) continues from it.
        recent = frame[["target", *models.watch.settings.feature_columns]]
        if samples is not None and models.watch.step < pd.Timedelta(hours=1):
            recent = samples.frame
        watch = watch_view(models.watch, recent, inputs.now, inputs.threshold, inputs.unit)
    future = None
    if inputs.future_column and inputs.future_rows:
        future = pd.DataFrame(
            {inputs.future_column: [value for _, value in inputs.future_rows]},
            index=pd.DatetimeIndex([moment for moment, _ in inputs.future_rows]),
        )
    forecast = models.forecaster.predict(
        frame, pd.Timestamp(inputs.now), future_features=future, hours=inputs.horizon_hours
    )
    hours = forecast.as_records()
    for index, record in enumerate(hours):
        record["explanation"] = forecast.explain(index, inputs.unit, inputs.labels)
    time_zone = ZoneInfo(forecast.time_zone)
    local_days = forecast.timestamps.tz_convert(time_zone).date
    today = inputs.now.astimezone(time_zone).date()
    snapshot = Snapshot(
        issued_at=inputs.now,
        hours=hours,
        today_remaining=_rest_of_today(forecast, local_days == today, today, time_zone),
        tomorrow=_day_total(forecast.p50, local_days == today + timedelta(days=1)),
        anomaly=anomaly,
        watch=watch,
        watch_primary=watch is not None and not models.energy_like,
        insight=models.insight,
    )
    return snapshot, detector_state


def _silent(frame: pd.DataFrame, now: datetime) -> bool:
    """Whether the target has no usable hour in the last ``SILENT_AFTER``."""
    recent = frame.loc[frame.index >= now - SILENT_AFTER, "target"].to_numpy(dtype=float)
    return not bool(np.isfinite(recent).any())


def _rest_of_today(
    forecast: Forecast, mask: np.ndarray, today: date, time_zone: ZoneInfo
) -> float | None:
    """Sum of the forecast over today's hours; None when the horizon ends before midnight.

    The forecast starts at the next whole hour: the hour in progress is not counted, so
    during the day's last hour nothing of today is left (0, not unknown).
    """
    midnight = datetime.combine(today + timedelta(days=1), time(), tzinfo=time_zone)
    if forecast.timestamps[-1] + timedelta(hours=1) < midnight:
        return None
    return round(float(forecast.p50[mask].sum()), 3)


def _day_total(values: np.ndarray, mask: np.ndarray) -> float | None:
    """Sum of the forecast over a day's hours; None when the horizon does not cover the day."""
    # 23: the day clocks go forward has no more.
    if mask.sum() < 23:
        return None
    return round(float(values[mask].sum()), 3)


def _score_new(
    models: Models, frame: pd.DataFrame, samples: Samples | None, now: datetime, unit: str
) -> AnomalyView | None:
    """Judge what completed since the last call; the last verdict if nothing did.

    That is hours for energy, and buckets of readings for a sensor judged at their pace.
    """
    import pandas as pd  # noqa: PLC0415 - executor only: never imported in the event loop

    detector = models.detector
    if detector is None:
        return None
    if not judges_readings(detector):
        values = frame["target"]
    elif samples is not None:
        values = readings_on_grid(samples.target, detector.step, now)
    else:
        values = pd.Series(dtype=float, index=pd.DatetimeIndex([], tz="UTC"))
    moments = pd.DatetimeIndex(values.index)
    last = models.last_scored
    new = moments > pd.Timestamp(last) if last is not None else np.ones(len(values), bool)
    status: AnomalyStatus | None = None
    for moment, value in zip(moments[new], values.to_numpy(dtype=float)[new], strict=True):
        status = detector.update(moment.to_pydatetime(), float(value))
        models.last_scored = moment.to_pydatetime()
    if status is not None:
        models.last_anomaly = _view(status, unit, detector.settings.time_zone)
    elif models.last_anomaly is None:
        # Right after training nothing new was scored: the alarm state is known, the score not.
        models.last_anomaly = AnomalyView(
            score=None,
            is_anomaly=detector.is_anomaly,
            since=None,
            kind=None,
            text="Nothing unusual." if not detector.is_anomaly else "",
            expected=None,
            actual=None,
        )
    return models.last_anomaly


def _view(status: AnomalyStatus, unit: str, time_zone: str) -> AnomalyView:
    explanation = status.explanation
    return AnomalyView(
        score=round(status.score, 3),
        is_anomaly=status.is_anomaly,
        since=status.since,
        kind=str(explanation.kind) if explanation else None,
        text=status.describe(unit=unit, time_zone=time_zone),
        expected=_finite(explanation.expected) if explanation else None,
        actual=_finite(explanation.actual) if explanation else None,
    )


def _finite(value: float | None) -> float | None:
    return round(value, 3) if value is not None and math.isfinite(value) else None
