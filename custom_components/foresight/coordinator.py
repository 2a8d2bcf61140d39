"""Coordinators of a Foresight entry, and the entry's typed runtime data."""

from dataclasses import dataclass
from datetime import timedelta
import logging

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .const import CONF_TARGET_ENTITY, DEFAULT_TRAINING_DAYS, HISTORY_REFRESH_INTERVAL
from .history import HistoryRequest, HistoryResult, async_read_history, entity_spec

_LOGGER = logging.getLogger(__name__)


@dataclass
class ForesightRuntimeData:
    """What a loaded entry keeps while it runs."""

    history: HistoryCoordinator


type ForesightConfigEntry = ConfigEntry[ForesightRuntimeData]


class HistoryCoordinator(DataUpdateCoordinator[HistoryResult]):
    """Reads the target's clean hourly history and measures how much of it is usable."""

    config_entry: ForesightConfigEntry

    def __init__(self, hass: HomeAssistant, entry: ForesightConfigEntry) -> None:
        """Create the coordinator for one entry."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"Foresight history of {entry.data[CONF_TARGET_ENTITY]}",
            update_interval=HISTORY_REFRESH_INTERVAL,
        )

    async def _async_update_data(self) -> HistoryResult:
        end = dt_util.utcnow().replace(minute=0, second=0, microsecond=0)
        request = HistoryRequest(
            target=entity_spec(self.hass, self.config_entry.data[CONF_TARGET_ENTITY]),
            start=end - timedelta(days=DEFAULT_TRAINING_DAYS),
            end=end,
        )
        return await async_read_history(self.hass, request)
