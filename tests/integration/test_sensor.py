"""Foresight's sensors, fed by a real (in-memory SQLite) recorder."""

from datetime import timedelta

from homeassistant.components.recorder.models import StatisticData, StatisticMetaData
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from .conftest import TARGET


async def test_history_coverage_counts_imported_statistics(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    now = dt_util.utcnow().replace(minute=0, second=0, microsecond=0)
    metadata = StatisticMetaData(
        has_mean=False,
        has_sum=True,
        mean_type=0,
        name="House energy",
        source="recorder",
        statistic_id=TARGET,
        unit_class="energy",
        unit_of_measurement="kWh",
    )
    hours = 24 * 73  # a fifth of the default 365-day window
    statistics = [
        StatisticData(start=now - timedelta(hours=hours - i), state=float(i), sum=float(i))
        for i in range(hours)
    ]
    async_import_statistics(hass, metadata, statistics)
    await async_wait_recording_done(hass)

    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    state = hass.states.get("sensor.house_energy_history_coverage")
    assert state is not None
    assert float(state.state) == 20.0
    assert state.attributes["unit_of_measurement"] == "%"
