"""Executor-side work of an entry: fit the models, and turn their output into plain data.

Everything here runs in an executor thread (it calls pandas, NumPy and maybe scikit-learn);
what it returns is made of plain Python values so entities can read it in the event loop.
"""

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
import logging
import threading
from typing import TYPE_CHECKING, Any

from homeassistant.const import UnitOfEnergy, UnitOfPower
from homeassistant.util.unit_conversion import EnergyConverter, PowerConverter

from .ml.anomaly import (
    AnomalyDetector,
    AnomalySettings,
    SensorAnomalyDetector,
    continue_detector,
    fit_energy_detector,
    fit_reading_detector,
    fit_sensor_detector,
    judging_step,
    last_complete_bucket,
    restore_detector,
)
from .ml.forecast import Forecaster, ForecastSettings, NotEnoughHistoryError, train_forecaster
from .ml.insight import energy_insight
from .ml.optional import sklearn_available
from .ml.quality import DataQuality
from .ml.watch import SensorForecaster, WatchSettings, choose_step
from .model_store import SavedState
from .prediction import AnomalyView, Samples
from .training_executor import TrainingStoppedError
from .watch import fit_watch

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
    # How far the sensor forecaster reaches; None: the entry has none (energy, no limit).
    watch_horizon_hours: int | None = None
    unit: str = ""
    # The feature that is an outdoor temperature, for weather-normalised insight.
    temperature_column: str | None = None
    # Whether a weather entity forecasts that temperature when Foresight forecasts.
    weather_forecast: bool = False
    # Where the home is (Home Assistant's configuration), for the hours' darkness.
    latitude: float | None = None
    longitude: float | None = None

    def watch_settings(self) -> WatchSettings:
        """Settings of the sensor forecaster."""
        return WatchSettings(
            time_zone=self.time_zone,
            horizon_hours=self.watch_horizon_hours or 1,
            feature_columns=self.feature_columns,
            unit=self.unit,
        )

    def forecast_settings(self) -> ForecastSettings:
        """Settings of the forecast engine."""
        return ForecastSettings(
            time_zone=self.time_zone,
            country=self.country,
            engine=self.engine,  # type: ignore[arg-type]
            horizon_hours=self.horizon_hours,
            feature_columns=self.feature_columns,
            latitude=self.latitude,
            longitude=self.longitude,
            forecast_columns=(
                (self.temperature_column,)
                if self.weather_forecast and self.temperature_column
                else ()
            ),
        )

    def anomaly_settings(self) -> AnomalySettings:
        """Settings of the anomaly detectors."""
        return AnomalySettings(
            sensitivity=self.sensitivity,  # type: ignore[arg-type]
            time_zone=self.time_zone,
            min_duration=timedelta(hours=1),
        )


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
    # Start of the last hour (or bucket of readings) the detector has judged, and its verdict.
    last_scored: datetime | None = None
    last_anomaly: AnomalyView | None = None
    # Identifies the settings the models were trained with (see EntrySettings).
    fingerprint: str = ""
    # Forecasts at the sensor's own pace (non-energy sensors, and any entry with a limit).
    watch: SensorForecaster | None = None
    # Base load, weather-normalised trend and busiest hours of an energy entry (plain data).
    insight: dict[str, Any] | None = None
    # Energy gets hourly day-ahead forecasts; any other sensor is forecast by ``watch``.
    energy_like: bool = True
    # The unit each feature's history was read in: predictions read them in the same one.
    feature_units: dict[str, str | None] = field(default_factory=dict)

    @property
    def serving(self) -> Forecaster | SensorForecaster | None:
        """The forecaster whose forecasts the entry shows."""
        if not self.energy_like and self.watch is not None:
            return self.watch
        return self.forecaster


def fit_models(
    frame: pd.DataFrame,
    quality: DataQuality,
    settings: FitSettings,
    samples: Samples | None = None,
    *,
    stopping: threading.Event | None = None,
) -> Models:
    """Fit the forecaster, the anomaly detector, and what the entry adds, on its history.

    ``samples`` are the readings of the target and its features, for the sensor forecaster
    and the anomaly detector of a sensor other than energy.

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
        return Models(
            quality,
            hours_needed=err.hours_needed,
            sklearn_missing=sklearn_missing,
            energy_like=settings.energy_like,
        )
    _check_stopping(stopping)
    readings = samples.target if samples is not None else None
    detector, last_scored = _fit_detector(frame, fit, readings, now)
    _check_stopping(stopping)
    watch = None
    if settings.watch_horizon_hours is not None:
        watch = fit_watch(samples.frame if samples else None, frame, settings.watch_settings())
    # Without the target's state (a start-up retrain) the unit is the one the history was read in.
    unit = settings.unit or quality.unit or ""
    insight = _insight(frame, settings, now, unit) if settings.energy_like else None
    return Models(
        quality,
        forecaster=forecaster,
        detector=detector,
        trained_at=now,
        sklearn_missing=sklearn_missing,
        last_scored=last_scored,
        watch=watch,
        insight=insight,
        energy_like=settings.energy_like,
    )


def kwh_per_hour(unit: str) -> float | None:
    """What one hourly value in ``unit`` is in kWh per hour; None if not energy or power.

    A meter's hourly value is the energy of the hour; a power sensor's is the hour's mean.
    """
    if unit in EnergyConverter.VALID_UNITS:
        return EnergyConverter.convert(1.0, unit, UnitOfEnergy.KILO_WATT_HOUR)
    if unit in PowerConverter.VALID_UNITS:
        return PowerConverter.convert(1.0, unit, UnitOfPower.KILO_WATT)
    return None


def _insight(
    frame: pd.DataFrame, settings: FitSettings, now: datetime, unit: str
) -> dict[str, Any] | None:
    import pandas as pd  # noqa: PLC0415 - executor only: never imported in the event loop

    # The insight counts in kWh per hour and reports watts; a gas or water meter, or a
    # sensor without a unit, has no base load in watts to show.
    if (factor := kwh_per_hour(unit)) is None:
        return None
    if factor != 1.0:
        frame = frame.assign(target=frame["target"] * factor)
    column = settings.temperature_column
    return energy_insight(
        frame,
        time_zone=settings.time_zone,
        now=pd.Timestamp(now),
        temperature_column=column if column in frame.columns else None,
    ).to_dict()


def _check_stopping(stopping: threading.Event | None) -> None:
    if stopping is not None and stopping.is_set():
        raise TrainingStoppedError


def _fit_detector(
    frame: pd.DataFrame, settings: FitSettings, readings: pd.Series | None, now: datetime
) -> tuple[AnomalyDetector | None, datetime | None]:
    """The anomaly detector, and the last moment it has seen (the next to judge follow it).

    A sensor other than energy is judged at the pace of its readings where the recorder
    still has enough of them; on its hourly history otherwise.
    """
    fit = fit_energy_detector if settings.energy_like else fit_sensor_detector
    anomaly_settings = settings.anomaly_settings()
    try:
        detector = fit(frame[["target", "excluded"]], anomaly_settings)
    except ValueError as err:
        _LOGGER.debug("No anomaly detector: %s", err)
        return None, None
    if isinstance(detector, SensorAnomalyDetector) and readings is not None:
        step = choose_step(readings.to_frame("target"))
        if step < timedelta(hours=1):
            try:
                judged = fit_reading_detector(
                    readings,
                    step,
                    now,
                    anomaly_settings,
                    excluded_hours=frame["excluded"].astype(bool),
                    hourly=detector,
                )
            except ValueError as err:
                _LOGGER.debug("Anomalies judged on hourly values: %s", err)
            else:
                return judged, last_complete_bucket(now, step)
    return detector, _last_hour(frame)


def _last_hour(frame: pd.DataFrame) -> datetime | None:
    known = frame.index[frame["target"].notna().to_numpy()]
    return known[-1].to_pydatetime() if len(known) else None


def restore_models(saved: SavedState, fingerprint: str) -> Models | None:
    """Rebuild saved models (their detector and sensor forecaster from JSON).

    None if nothing usable was saved, or if it was trained with other settings.
    """
    forecaster, detector_state, meta = saved.forecaster, saved.detector, saved.meta
    if forecaster is None or meta.get("fingerprint") != fingerprint:
        return None
    watch = None
    if saved.watch is not None:
        try:
            watch = SensorForecaster.from_dict(saved.watch)
        except ValueError as err:
            _LOGGER.warning("Saved sensor forecaster was not usable (%s); retraining", err)
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
        # Saved before the detector could judge readings, the key named the hour.
        last_scored=_parse(meta.get("last_scored", meta.get("last_scored_hour"))),
        fingerprint=fingerprint,
        watch=watch,
        insight=saved.insight,
        energy_like=meta.get("energy_like") is not False,
        # The restored forecaster is still the NumPy stand-in: its repair must stay.
        sklearn_missing=meta.get("sklearn_missing") is True,
        feature_units=_feature_units(meta.get("feature_units")),
    )


def _feature_units(saved: Any) -> dict[str, str | None]:
    """The saved feature units, without anything edited by hand into another shape."""
    if not isinstance(saved, dict):
        return {}
    return {
        str(entity_id): unit
        for entity_id, unit in saved.items()
        if unit is None or isinstance(unit, str)
    }


def _unknown_quality() -> DataQuality:
    return DataQuality(0, 0, 0, None, None, {}, source="saved")


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def continue_models(new: Models, previous: Models | None) -> None:
    """Let the detector carry on across a retrain (see ``continue_detector``).

    The detector in use stays until the history is twice the span it learnt from; a
    replacement takes over its online state. Before, an alarm that was on switched off at
    each daily retrain, and each refit learnt the alarms raised since as normal. Not across
    a change of unit: the previous detector's history is in the old one.
    """
    if previous is None or new.detector is None or previous.detector is None:
        return
    if type(new.detector) is not type(previous.detector):
        return  # the target changed kind: nothing to carry on
    if previous.quality.unit != new.quality.unit:
        return
    detector = continue_detector(new.detector, previous.detector)
    scored = previous.last_scored
    if detector is previous.detector:
        # The kept detector goes on from the last hour (or bucket) it judged.
        new.last_scored = scored or new.last_scored
    elif scored is not None:
        # The replacement goes on from where the previous one stopped judging, in its own
        # pace: after 11:35 in buckets of 5 minutes, the hours go on with the one of 11:00.
        judged_until = scored + judging_step(previous.detector)
        resumed = last_complete_bucket(judged_until, judging_step(new.detector))
        if new.last_scored is None or resumed > new.last_scored:
            new.last_scored = resumed
    new.detector = detector
    new.last_anomaly = previous.last_anomaly


def models_meta(models: Models) -> dict[str, Any]:
    """What is saved beside the models (JSON)."""
    quality = models.quality
    return {
        "fingerprint": models.fingerprint,
        "energy_like": models.energy_like,
        "sklearn_missing": models.sklearn_missing,
        "feature_units": models.feature_units,
        "trained_at": models.trained_at.isoformat() if models.trained_at else None,
        "last_scored": (models.last_scored.isoformat() if models.last_scored else None),
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
