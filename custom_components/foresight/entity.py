"""Base entity for Foresight."""

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import PredictionCoordinator


class ForesightEntity(CoordinatorEntity[PredictionCoordinator]):
    """An entity of one Foresight entry; each entry is a service device of its own."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: PredictionCoordinator, description: EntityDescription) -> None:
        """Attach the entity to its entry's device."""
        super().__init__(coordinator)
        self.entity_description = description
        entry = coordinator.config_entry
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            entry_type=DeviceEntryType.SERVICE,
            manufacturer="Foresight",
            model="Forecast and anomaly model",
            name=entry.title,
        )
