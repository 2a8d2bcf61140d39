"""Foresight: explainable forecasts and anomaly detection from the recorder's history."""

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant

from .coordinator import ForesightConfigEntry, ForesightRuntimeData, HistoryCoordinator

PLATFORMS: list[Platform] = [Platform.SENSOR]


async def async_setup_entry(hass: HomeAssistant, entry: ForesightConfigEntry) -> bool:
    """Set up Foresight for one target entity."""
    history = HistoryCoordinator(hass, entry)
    await history.async_config_entry_first_refresh()
    entry.runtime_data = ForesightRuntimeData(history=history)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ForesightConfigEntry) -> bool:
    """Unload a Foresight entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
