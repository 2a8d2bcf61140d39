"""Sensor entities of Foresight, declared as data."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
import math
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .coordinator import ForesightConfigEntry, PredictionCoordinator
from .entity import ForesightEntity
from .history import entity_spec

# Entities are read-only views of coordinator data; the coordinator serialises updates.
PARALLEL_UPDATES = 0
# The forecast list attribute is for dashboards; three days is plenty and keeps it small.
FORECAST_ATTRIBUTE_HOURS = 72
MODEL = "model"
BASELINE = "baseline"


def _next_hour(coordinator: PredictionCoordinator) -> dict[str, Any] | None:
    hours = coordinator.data.hours
    return hours[0] if hours else None


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
            for h in coordinator.data.hours[:FORECAST_ATTRIBUTE_HOURS]
        ],
    }


def _backtest(coordinator: PredictionCoordinator) -> Any:
    models = coordinator.training.data
    return models.forecaster.backtest if models and models.forecaster else None


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
        "days_evaluated": backtest.days_evaluated,
    }


def _model_in_use(coordinator: PredictionCoordinator) -> StateType:
    models = coordinator.training.data
    if models is None or models.forecaster is None:
        return None
    return BASELINE if models.forecaster.serves_baseline else MODEL


def _model_attributes(coordinator: PredictionCoordinator) -> dict[str, Any]:
    models = coordinator.training.data
    if models is None or models.forecaster is None:
        return {}
    forecaster = models.forecaster
    return {
        "engine": forecaster.engine,
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
    target = entity_spec(hass, entry.runtime_data.settings.target)
    models = entry.runtime_data.training.data
    unit = target.unit or (models.quality.unit if models else None)
    async_add_entities(
        ForesightSensor(coordinator, description, unit if description.in_target_unit else None)
        for description in SENSORS
        if target.cumulative or not description.meters_only
    )


class ForesightSensor(ForesightEntity, SensorEntity):
    """A Foresight sensor whose state comes from its description's value_fn."""

    entity_description: ForesightSensorEntityDescription
    # Forecast lists and sentences are for the UI and automations, not for the database.
    _unrecorded_attributes = frozenset({"forecast", "explanation"})

    def __init__(
        self,
        coordinator: PredictionCoordinator,
        description: ForesightSensorEntityDescription,
        unit: str | None,
    ) -> None:
        """Create the sensor, in the predicted sensor's unit where it has one."""
        super().__init__(coordinator, description)
        if description.in_target_unit:
            self._attr_native_unit_of_measurement = unit

    @property
    def native_value(self) -> StateType | datetime:
        """Return the state computed from the coordinators' data."""
        return self.entity_description.value_fn(self.coordinator)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the attributes computed from the coordinators' data."""
        return self.entity_description.attributes_fn(self.coordinator)
