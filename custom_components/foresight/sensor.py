"""Sensor entities of Foresight, declared as data."""

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.sensor import (
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .coordinator import ForesightConfigEntry
from .entity import ForesightEntity
from .history import HistoryResult

# Entities are read-only views of coordinator data; the coordinator serialises updates.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ForesightSensorEntityDescription(SensorEntityDescription):
    """Describes a Foresight sensor and how its state is read from history."""

    value_fn: Callable[[HistoryResult], StateType]


SENSORS: tuple[ForesightSensorEntityDescription, ...] = (
    ForesightSensorEntityDescription(
        key="history_coverage",
        translation_key="history_coverage",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        suggested_display_precision=1,
        value_fn=lambda history: history.quality.coverage_percent,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ForesightConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add Foresight's sensors for one entry."""
    coordinator = entry.runtime_data.history
    async_add_entities(ForesightSensor(coordinator, description) for description in SENSORS)


class ForesightSensor(ForesightEntity, SensorEntity):
    """A Foresight sensor whose state comes from its description's value_fn."""

    entity_description: ForesightSensorEntityDescription

    @property
    def native_value(self) -> StateType:
        """Return the state computed from the coordinator's data."""
        return self.entity_description.value_fn(self.coordinator.data)
