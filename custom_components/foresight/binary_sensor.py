"""The anomaly binary sensor: on while something is unusual for this home."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import ForesightConfigEntry, PredictionCoordinator
from .entity import ForesightEntity

PARALLEL_UPDATES = 0


def _anomaly_attributes(coordinator: PredictionCoordinator) -> dict[str, Any]:
    anomaly = coordinator.data.anomaly
    if anomaly is None:
        return {}
    return {
        "explanation": anomaly.text,
        "since": anomaly.since.isoformat() if anomaly.since else None,
        "kind": anomaly.kind,
        "expected": anomaly.expected,
        "actual": anomaly.actual,
        "score": anomaly.score,
    }


@dataclass(frozen=True, kw_only=True)
class ForesightBinarySensorEntityDescription(BinarySensorEntityDescription):
    """Describes a Foresight binary sensor and how its state is read."""

    is_on_fn: Callable[[PredictionCoordinator], bool | None]
    attributes_fn: Callable[[PredictionCoordinator], dict[str, Any]]


BINARY_SENSORS: tuple[ForesightBinarySensorEntityDescription, ...] = (
    ForesightBinarySensorEntityDescription(
        key="anomaly",
        translation_key="anomaly",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda coordinator: (
            coordinator.data.anomaly.is_anomaly if coordinator.data.anomaly else None
        ),
        attributes_fn=_anomaly_attributes,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ForesightConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add Foresight's binary sensors for one entry."""
    coordinator = entry.runtime_data.predictions
    async_add_entities(
        ForesightBinarySensor(coordinator, description) for description in BINARY_SENSORS
    )


class ForesightBinarySensor(ForesightEntity, BinarySensorEntity):
    """A Foresight binary sensor whose state comes from its description."""

    entity_description: ForesightBinarySensorEntityDescription

    @property
    def is_on(self) -> bool | None:
        """Return whether the condition holds."""
        return self.entity_description.is_on_fn(self.coordinator)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the explanation and its details."""
        return self.entity_description.attributes_fn(self.coordinator)
