"""Sensor entities of Foresight, declared as data."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
import math
from typing import Any

from homeassistant.components.recorder.statistics import get_metadata
from homeassistant.components.sensor import (
    DOMAIN as SENSOR_DOMAIN,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfPower, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.typing import StateType

from .coordinator import ForesightConfigEntry, PredictionCoordinator, is_energy_like
from .entity import ForesightEntity, async_add_paced, async_remove_unprovided
from .history import entity_spec
from .ml.forecast import BacktestResult, Forecaster
from .ml.watch import SensorForecaster, WatchBacktest
from .outlook import (
    crossing,
    crossing_attributes,
    insight_attributes,
    insight_value,
    time_until_limit,
)
from .training import Models, kwh_per_hour

# Entities are read-only views of coordinator data; the coordinator serialises updates.
PARALLEL_UPDATES = 0
# The forecast list attribute is for dashboards; three days is plenty and keeps it small.
FORECAST_ATTRIBUTE_HOURS = 72
MODEL = "model"
BASELINE = "baseline"


def _next_hour(coordinator: PredictionCoordinator) -> dict[str, Any] | None:
    """The forecast an hour ahead: the sensor forecaster's step then, or the next hour."""
    data = coordinator.data
    if data.watch_primary and data.watch is not None and data.watch.steps:
        steps = data.watch.steps
        # The step that starts within the coming hour's last step: at 19:05 with hourly
        # steps that is 20:00, with five-minute steps 20:00 too.
        step_length = timedelta(minutes=data.watch.step_minutes)
        in_an_hour = (data.issued_at + timedelta(hours=1) - step_length).isoformat()
        return next((step for step in steps if step["timestamp"] >= in_an_hour), steps[-1])
    return data.hours[0] if data.hours else None


def _forecast_list(coordinator: PredictionCoordinator) -> list[dict[str, Any]]:
    """Hourly points for dashboards (a five-minute forecast is thinned to one per hour)."""
    data = coordinator.data
    if data.watch_primary and data.watch is not None:
        per_hour = max(60 // data.watch.step_minutes, 1)
        return data.watch.steps[per_hour - 1 :: per_hour][:FORECAST_ATTRIBUTE_HOURS]
    return data.hours[:FORECAST_ATTRIBUTE_HOURS]


def _next_hour_value(coordinator: PredictionCoordinator) -> StateType:
    hour = _next_hour(coordinator)
    return hour["p50"] if hour else None


def _next_hour_attributes(coordinator: PredictionCoordinator) -> dict[str, Any]:
    hour = _next_hour(coordinator)
    if hour is None:
        return {}
    return {
        "start": hour["timestamp"],
        "p10": hour["p10"],
        "p90": hour["p90"],
        "explanation": hour["explanation"],
        "forecast": [
            {"start": h["timestamp"], "p10": h["p10"], "p50": h["p50"], "p90": h["p90"]}
            for h in _forecast_list(coordinator)
        ],
    }


def _backtest(coordinator: PredictionCoordinator) -> BacktestResult | WatchBacktest | None:
    """Scores of the forecaster that serves the entry's forecasts."""
    forecaster = _serving(coordinator)
    return forecaster.backtest if forecaster is not None else None


def _finite(value: float, scale: float = 1.0, digits: int = 4) -> float | None:
    """A backtest without scored hours has NaN errors: show unknown, not "nan"."""
    return round(scale * value, digits) if math.isfinite(value) else None


def _error_attributes(coordinator: PredictionCoordinator) -> dict[str, Any]:
    backtest = _backtest(coordinator)
    if backtest is None:
        return {}
    return {
        "baseline_errors": {name: round(mae, 3) for name, mae in backtest.baseline_mae.items()},
        "best_baseline": backtest.best_baseline,
        "interval_coverage": round(backtest.coverage, 3),
        # The sensor forecaster's backtest is a holdout of hours, not of days.
        "days_evaluated": getattr(backtest, "days_evaluated", None),
    }


def _serving(coordinator: PredictionCoordinator) -> Forecaster | SensorForecaster | None:
    models = coordinator.training.data
    return models.serving if models is not None else None


def _model_in_use(coordinator: PredictionCoordinator) -> StateType:
    if (forecaster := _serving(coordinator)) is None:
        return None
    return BASELINE if forecaster.serves_baseline else MODEL


def _model_attributes(coordinator: PredictionCoordinator) -> dict[str, Any]:
    if (forecaster := _serving(coordinator)) is None:
        return {}
    return {
        # The sensor forecaster is NumPy only.
        "engine": getattr(forecaster, "engine", "numpy"),
        "baseline": forecaster.baseline_name,
        "serves_baseline": forecaster.serves_baseline,
    }


def _last_training(coordinator: PredictionCoordinator) -> datetime | None:
    models = coordinator.training.data
    return models.trained_at if models else None


def _coverage_attributes(coordinator: PredictionCoordinator) -> dict[str, Any]:
    models = coordinator.training.data
    if models is None:
        return {}
    quality = models.quality
    return {"hours_usable": quality.hours_usable, "excluded_hours": quality.excluded_hours}


@dataclass(frozen=True, kw_only=True)
class ForesightSensorEntityDescription(SensorEntityDescription):
    """Describes a Foresight sensor and how its state is read."""

    value_fn: Callable[[PredictionCoordinator], StateType | datetime]
    attributes_fn: Callable[[PredictionCoordinator], dict[str, Any]] = lambda _: {}
    # The value is in the predicted sensor's unit.
    in_target_unit: bool = False
    # Only for meters (energy, gas, water): totals make no sense for a temperature.
    meters_only: bool = False
    # Only where the entry watches a limit.
    threshold_only: bool = False
    # Only for energy and power entries: base load (in watts) and consumption trends.
    energy_only: bool = False


SENSORS: tuple[ForesightSensorEntityDescription, ...] = (
    ForesightSensorEntityDescription(
        key="forecast_next_hour",
        translation_key="forecast_next_hour",
        state_class=SensorStateClass.MEASUREMENT,
        in_target_unit=True,
        value_fn=_next_hour_value,
        attributes_fn=_next_hour_attributes,
    ),
    ForesightSensorEntityDescription(
        key="forecast_today_remaining",
        translation_key="forecast_today_remaining",
        in_target_unit=True,
        meters_only=True,
        value_fn=lambda coordinator: coordinator.data.today_remaining,
    ),
    ForesightSensorEntityDescription(
        key="forecast_tomorrow",
        translation_key="forecast_tomorrow",
        in_target_unit=True,
        meters_only=True,
        value_fn=lambda coordinator: coordinator.data.tomorrow,
    ),
    ForesightSensorEntityDescription(
        key="time_until_limit",
        translation_key="time_until_limit",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.HOURS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        threshold_only=True,
        value_fn=time_until_limit,
        attributes_fn=crossing_attributes,
    ),
    ForesightSensorEntityDescription(
        key="limit_probability",
        translation_key="limit_probability",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        threshold_only=True,
        value_fn=lambda coordinator: (
            round(100 * outlook.probability, 1)
            if (outlook := crossing(coordinator)) is not None
            else None
        ),
    ),
    ForesightSensorEntityDescription(
        key="base_load",
        translation_key="base_load",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        energy_only=True,
        value_fn=lambda coordinator: insight_value(coordinator, "base_load_w"),
        attributes_fn=insight_attributes,
    ),
    ForesightSensorEntityDescription(
        key="anomaly_score",
        translation_key="anomaly_score",
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        value_fn=lambda coordinator: (
            coordinator.data.anomaly.score if coordinator.data.anomaly else None
        ),
    ),
    ForesightSensorEntityDescription(
        key="forecast_error",
        translation_key="forecast_error",
        entity_category=EntityCategory.DIAGNOSTIC,
        in_target_unit=True,
        suggested_display_precision=3,
        value_fn=lambda coordinator: (
            _finite(backtest.model_mae) if (backtest := _backtest(coordinator)) else None
        ),
        attributes_fn=_error_attributes,
    ),
    ForesightSensorEntityDescription(
        key="forecast_skill",
        translation_key="forecast_skill",
        entity_category=EntityCategory.DIAGNOSTIC,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        value_fn=lambda coordinator: (
            _finite(backtest.skill, 100, 1) if (backtest := _backtest(coordinator)) else None
        ),
    ),
    ForesightSensorEntityDescription(
        key="model_in_use",
        translation_key="model_in_use",
        entity_category=EntityCategory.DIAGNOSTIC,
        device_class=SensorDeviceClass.ENUM,
        options=[MODEL, BASELINE],
        value_fn=_model_in_use,
        attributes_fn=_model_attributes,
    ),
    ForesightSensorEntityDescription(
        key="last_training",
        translation_key="last_training",
        entity_category=EntityCategory.DIAGNOSTIC,
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=_last_training,
    ),
    ForesightSensorEntityDescription(
        key="history_coverage",
        translation_key="history_coverage",
        native_unit_of_measurement=PERCENTAGE,
        entity_category=EntityCategory.DIAGNOSTIC,
        suggested_display_precision=1,
        value_fn=lambda coordinator: (
            models.quality.coverage_percent if (models := coordinator.training.data) else None
        ),
        attributes_fn=_coverage_attributes,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ForesightConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add Foresight's sensors for one entry."""
    coordinator = entry.runtime_data.predictions
    settings = entry.runtime_data.settings
    models = entry.runtime_data.training.data
    watts = _has_watts(hass, settings.target, models)
    meter = await _async_is_meter(hass, settings.target)
    wanted = [
        description
        for description in SENSORS
        if (meter or not description.meters_only)
        and (settings.threshold is not None or not description.threshold_only)
        and (watts or not description.energy_only)
    ]
    # A sensor not known to be needed or not is kept: removing it would lose the user's
    # name, area and entity ID for it, and a later set-up will know.
    decided = [
        description
        for description in SENSORS
        if (meter is not None or not description.meters_only)
        and (watts is not None or not description.energy_only)
    ]
    async_remove_unprovided(hass, entry, SENSOR_DOMAIN, decided, wanted)
    sensors = [ForesightSensor(coordinator, description) for description in wanted]
    await async_add_paced(hass, async_add_entities, sensors)


def _has_watts(hass: HomeAssistant, target: str, models: Models | None) -> bool | None:
    """Whether the target's use has a base load in watts (energy or power, not gas or water).

    None when nothing tells yet (no training, no state, no unit the history was read in).
    """
    if models is not None:
        # What training found; at start-up the target's state may not be there yet.
        energy: bool | None = models.energy_like
        unit = models.quality.unit
    else:
        energy = is_energy_like(hass, target)
        known = hass.states.get(target) is not None
        unit = (entity_spec(hass, target).unit or "") if known else None
    if energy is False:
        return False
    if energy is None or unit is None:
        return None
    return kwh_per_hour(unit) is not None


async def _async_is_meter(hass: HomeAssistant, entity_id: str) -> bool | None:
    """Whether the entity is a cumulative meter; None when nothing tells.

    At start-up the entity may have no state yet (Home Assistant writes placeholders only
    once it has started, and a slow or offline device later still). Its statistics tell
    then, as they tell the history read what the models were trained on.
    """
    if hass.states.get(entity_id) is not None:
        return entity_spec(hass, entity_id).cumulative
    metadata = await get_instance(hass).async_add_executor_job(
        partial(get_metadata, hass, statistic_ids={entity_id})
    )
    if entity_id not in metadata:
        return None
    return metadata[entity_id][1]["has_sum"]


class ForesightSensor(ForesightEntity, SensorEntity):
    """A Foresight sensor whose state comes from its description's value_fn."""

    entity_description: ForesightSensorEntityDescription
    # Forecast lists and sentences are for the UI and automations, not for the database.
    _unrecorded_attributes = frozenset({"forecast", "explanation", "top_hours"})

    @property
    def native_unit_of_measurement(self) -> str | None:
        """Return the unit: a forecast is in the unit the models were trained in."""
        if self.entity_description.in_target_unit:
            return self.coordinator.unit
        return super().native_unit_of_measurement

    @property
    def native_value(self) -> StateType | datetime:
        """Return the state computed from the coordinators' data."""
        return self.entity_description.value_fn(self.coordinator)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the attributes computed from the coordinators' data."""
        return self.entity_description.attributes_fn(self.coordinator)
