"""Foresight: explainable forecasts and anomaly detection from the recorder's history."""

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN
from .coordinator import (
    ForesightConfigEntry,
    ForesightRuntimeData,
    PredictionCoordinator,
    TrainingCoordinator,
)
from .model_store import ModelStore
from .options import EntrySettings
from .repairs import async_delete_entry_issues, async_update_entity_issues
from .services import async_setup_services

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions, once for all entries."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ForesightConfigEntry) -> bool:
    """Set up Foresight for one target entity."""
    settings = EntrySettings.from_entry(entry)
    store = ModelStore(hass, entry.entry_id)
    training = TrainingCoordinator(hass, entry, settings, store)
    predictions = PredictionCoordinator(hass, entry, settings, training, store)
    entry.runtime_data = ForesightRuntimeData(settings, store, training, predictions)
    await training.async_config_entry_first_refresh()
    await predictions.async_config_entry_first_refresh()

    @callback
    def _async_check_entities(hass: HomeAssistant) -> None:
        async_update_entity_issues(hass, entry, entry.runtime_data.settings)

    # Which entities are gone is only known once every integration has loaded.
    entry.async_on_unload(async_at_started(hass, _async_check_entities))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ForesightConfigEntry) -> bool:
    """Unload a Foresight entry."""
    if not await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        return False
    # A delayed save left pending would write the file again after a removal deletes it.
    await entry.runtime_data.store.async_close()
    async_delete_entry_issues(hass, entry.entry_id)
    return True


async def async_remove_entry(hass: HomeAssistant, entry: ForesightConfigEntry) -> None:
    """Delete the saved models and the repairs of a removed entry."""
    # An entry that never loaded (set-up still retrying) was not unloaded.
    async_delete_entry_issues(hass, entry.entry_id)
    await ModelStore(hass, entry.entry_id).async_remove()
