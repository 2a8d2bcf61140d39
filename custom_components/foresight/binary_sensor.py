"""The anomaly binary sensor: on while something is unusual for this home."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import (
    DOMAIN as BINARY_SENSOR_DOMAIN,
    BinarySensorDeviceClass,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import ForesightConfigEntry, PredictionCoordinator
from .entity import ForesightEntity, async_add_paced, async_remove_unprovided
from .outlook import crossing, warning_attributes

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
    # Only where the entry watches a limit.
    threshold_only: bool = False


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
    ForesightBinarySensorEntityDescription(
        key="limit_warning",
        translation_key="limit_warning",
        device_class=BinarySensorDeviceClass.PROBLEM,
        threshold_only=True,
        is_on_fn=lambda coordinator: (
            outlook.warning if (outlook := crossing(coordinator)) is not None else None
        ),
        attributes_fn=warning_attributes,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ForesightConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add Foresight's binary sensors for one entry."""
    coordinator = entry.runtime_data.predictions
    watching = entry.runtime_data.settings.threshold is not None
    wanted = [
        description for description in BINARY_SENSORS if watching or not description.threshold_only
    ]
    async_remove_unprovided(hass, entry, BINARY_SENSOR_DOMAIN, BINARY_SENSORS, wanted)
    await async_add_paced(
        hass,
        async_add_entities,
        [ForesightBinarySensor(coordinator, description) for description in wanted],
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
