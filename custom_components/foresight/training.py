"""Executor-side work of an entry: fit the models, and turn their output into plain data.

Everything here runs in an executor thread (it calls pandas, NumPy and maybe scikit-learn);
what it returns is made of plain Python values so entities can read it in the event loop.
"""

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
import logging
import math
import threading
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np

from .ml.anomaly import (
    AnomalyDetector,
    AnomalySettings,
    AnomalyStatus,
    fit_energy_detector,
    fit_sensor_detector,
    restore_detector,
)
from .ml.forecast import Forecaster, ForecastSettings, NotEnoughHistoryError, train_forecaster
from .ml.optional import sklearn_available
from .ml.quality import DataQuality
from .training_executor import TrainingStoppedError

if TYPE_CHECKING:
    import pandas as pd

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FitSettings:
    """What the executor needs to fit an entry's models."""

    time_zone: str
    country: str | None
    engine: str
    horizon_hours: int
    feature_columns: tuple[str, ...]
    sensitivity: str
    # Energy and power are judged against an hourly profile; other sensors by their own
    # recent behaviour.
    energy_like: bool

    def forecast_settings(self) -> ForecastSettings:
        """Settings of the forecast engine."""
        return ForecastSettings(
            time_zone=self.time_zone,
            country=self.country,
            engine=self.engine,  # type: ignore[arg-type]
            horizon_hours=self.horizon_hours,
            feature_columns=self.feature_columns,
        )

    def anomaly_settings(self) -> AnomalySettings:
        """Settings of the anomaly detectors."""
        return AnomalySettings(
            sensitivity=self.sensitivity,  # type: ignore[arg-type]
            time_zone=self.time_zone,
            min_duration=timedelta(hours=1),
        )


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


@dataclass(slots=True)
class Models:
    """An entry's trained models and what they were trained on."""

    quality: DataQuality
    forecaster: Forecaster | None = None
    detector: AnomalyDetector | None = None
    trained_at: datetime | None = None
    hours_needed: int | None = None
    # scikit-learn was asked for but cannot be imported here; NumPy is used instead.
    sklearn_missing: bool = False
    # Start of the last hour the detector has judged, and its verdict.
    last_scored_hour: datetime | None = None
    last_anomaly: AnomalyView | None = None
    # Identifies the settings the models were trained with (see EntrySettings).
    fingerprint: str = ""


def fit_models(
    frame: pd.DataFrame,
    quality: DataQuality,
    settings: FitSettings,
    stopping: threading.Event | None = None,
) -> Models:
    """Fit the forecaster and the anomaly detector on an entry's history.

    Raises:
        TrainingStoppedError: ``stopping`` was set before a stage began.
    """
    sklearn_missing = settings.engine == "sklearn" and not sklearn_available()
    fit = replace(settings, engine="numpy") if sklearn_missing else settings
    now = datetime.now(UTC)
    _check_stopping(stopping)
    try:
        forecaster = train_forecaster(frame, fit.forecast_settings())
    except NotEnoughHistoryError as err:
        return Models(quality, hours_needed=err.hours_needed, sklearn_missing=sklearn_missing)
    _check_stopping(stopping)
    detector = _fit_detector(frame, fit)
    return Models(
        quality,
        forecaster=forecaster,
        detector=detector,
        trained_at=now,
        sklearn_missing=sklearn_missing,
        last_scored_hour=_last_hour(frame),
    )


def _check_stopping(stopping: threading.Event | None) -> None:
    if stopping is not None and stopping.is_set():
        raise TrainingStoppedError


def _fit_detector(frame: pd.DataFrame, settings: FitSettings) -> AnomalyDetector | None:
    fit = fit_energy_detector if settings.energy_like else fit_sensor_detector
    try:
        return fit(frame[["target", "excluded"]], settings.anomaly_settings())
    except ValueError as err:
        _LOGGER.debug("No anomaly detector: %s", err)
        return None


def _last_hour(frame: pd.DataFrame) -> datetime | None:
    known = frame.index[frame["target"].notna().to_numpy()]
    return known[-1].to_pydatetime() if len(known) else None


def restore_models(
    forecaster: Forecaster | None,
    detector_state: dict[str, Any] | None,
    meta: dict[str, Any],
    fingerprint: str,
) -> Models | None:
    """Rebuild saved models (their detector from JSON).

    None if nothing usable was saved, or if it was trained with other settings.
    """
    if forecaster is None or meta.get("fingerprint") != fingerprint:
        return None
    detector: AnomalyDetector | None = None
    if detector_state is not None:
        try:
            detector = restore_detector(detector_state)
        except (KeyError, TypeError, ValueError) as err:
            _LOGGER.warning("Saved anomaly state was not usable (%s); it will be relearnt", err)
    try:
        quality = DataQuality(**meta["quality"])
    except KeyError, TypeError:  # nothing saved, or edited by hand
        quality = _unknown_quality()
    return Models(
        quality,
        forecaster=forecaster,
        detector=detector,
        trained_at=_parse(meta.get("trained_at")),
        last_scored_hour=_parse(meta.get("last_scored_hour")),
        fingerprint=fingerprint,
    )


def _unknown_quality() -> DataQuality:
    return DataQuality(0, 0, 0, None, None, {}, source="saved")


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def models_meta(models: Models) -> dict[str, Any]:
    """What is saved beside the models (JSON)."""
    quality = models.quality
    return {
        "fingerprint": models.fingerprint,
        "trained_at": models.trained_at.isoformat() if models.trained_at else None,
        "last_scored_hour": (
            models.last_scored_hour.isoformat() if models.last_scored_hour else None
        ),
        "quality": {
            "hours_in_window": quality.hours_in_window,
            "hours_with_data": quality.hours_with_data,
            "hours_usable": quality.hours_usable,
            "first_timestamp": None,
            "last_timestamp": None,
            "excluded_hours": quality.excluded_hours,
            "source": quality.source,
            "unit": quality.unit,
        },
    }


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the entities and actions show, as plain Python values."""

    issued_at: datetime
    hours: list[dict[str, Any]] = field(default_factory=list)
    today_remaining: float | None = None
    tomorrow: float | None = None
    anomaly: AnomalyView | None = None


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


def predict(
    models: Models, frame: pd.DataFrame, inputs: PredictionInputs
) -> tuple[Snapshot, dict[str, Any] | None]:
    """Forecast from ``inputs.now`` and judge the hours completed since the last call.

    Returns the snapshot as plain data, and the detector's state to save.
    """
    import pandas as pd  # noqa: PLC0415 - executor only: never imported in the event loop

    anomaly = _score_new_hours(models, frame, inputs.unit)
    detector_state = models.detector.to_dict() if models.detector is not None else None
    if models.forecaster is None:
        return Snapshot(issued_at=inputs.now, anomaly=anomaly), detector_state
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
        today_remaining=_total(forecast.p50, local_days == today),
        tomorrow=_total(forecast.p50, local_days == today + timedelta(days=1), whole_day=True),
        anomaly=anomaly,
    )
    return snapshot, detector_state


def _total(values: np.ndarray, mask: np.ndarray, *, whole_day: bool = False) -> float | None:
    """Sum of the forecast over the masked hours; None when the horizon does not cover them."""
    if not mask.any() or (whole_day and mask.sum() < 23):
        return None
    return round(float(values[mask].sum()), 3)


def _score_new_hours(models: Models, frame: pd.DataFrame, unit: str) -> AnomalyView | None:
    """Judge the hours completed since the last call; the last verdict if there are none."""
    import pandas as pd  # noqa: PLC0415 - executor only: never imported in the event loop

    detector = models.detector
    if detector is None:
        return None
    status: AnomalyStatus | None = None
    last = models.last_scored_hour
    new = frame.index > pd.Timestamp(last) if last is not None else np.ones(len(frame), bool)
    for moment, value in frame.loc[new, "target"].items():
        status = detector.update(moment.to_pydatetime(), float(value))
        models.last_scored_hour = moment.to_pydatetime()
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
