"""Reads the target's history from the recorder, always in the recorder's executor."""

from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance

SECONDS_PER_HOUR = 3600


@dataclass(frozen=True, slots=True)
class HistoryCoverage:
    """How many hours of the window have a long-term statistic."""

    hours_in_window: int
    hours_available: int

    @property
    def percent(self) -> float:
        """Share of the window with data, in percent."""
        return round(100 * self.hours_available / self.hours_in_window, 1)


async def async_read_coverage(
    hass: HomeAssistant, entity_id: str, start: datetime, end: datetime
) -> HistoryCoverage:
    """Count the hourly statistics of one entity between start and end."""
    rows = await get_instance(hass).async_add_executor_job(
        statistics_during_period, hass, start, end, {entity_id}, "hour", None, {"mean", "sum"}
    )
    hours_in_window = int((end - start).total_seconds() // SECONDS_PER_HOUR)
    return HistoryCoverage(hours_in_window, len(rows.get(entity_id, [])))
