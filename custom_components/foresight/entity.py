"""Base entity for Foresight."""

import asyncio
from collections.abc import Sequence

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import ForesightConfigEntry, PredictionCoordinator, busy_lock


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


@callback
def async_remove_unprovided(
    hass: HomeAssistant,
    entry: ForesightConfigEntry,
    platform: str,
    descriptions: Sequence[EntityDescription],
    provided: Sequence[EntityDescription],
) -> None:
    """Remove entities this entry no longer provides (a limit that is no longer watched)."""
    registry = er.async_get(hass)
    for description in descriptions:
        if description in provided:
            continue
        unique_id = f"{entry.entry_id}_{description.key}"
        if entity_id := registry.async_get_entity_id(platform, DOMAIN, unique_id):
            registry.async_remove(entity_id)


async def async_add_paced(
    hass: HomeAssistant,
    async_add_entities: AddConfigEntryEntitiesCallback,
    entities: Sequence[Entity],
) -> None:
    """Add an entry's entities one per loop step, one entry at a time.

    A new entity writes its state, which the recorder thread takes up at once, holding the
    GIL the event loop needs: a dozen in one loop step held the loop 18-31 ms, four 20-28 ms
    (python -m bench.entries).
    """
    async with busy_lock(hass):
        for entity in entities:
            async_add_entities([entity])
            await asyncio.sleep(0)
