"""During the day's last hour the rest of today is 0, not unknown."""

from datetime import UTC, datetime

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .home import seed_home

# 23:30 on 1 March in the test instance's time zone (US/Pacific, UTC-8).
LAST_HOUR = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)


async def test_rest_of_today_is_zero_in_the_last_hour(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, mock_config_entry: MockConfigEntry
) -> None:
    freezer.move_to(LAST_HOUR)
    await seed_home(hass, LAST_HOUR.replace(minute=0), days=35)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    state = hass.states.get("sensor.house_energy_forecast_rest_of_today")
    assert state is not None
    assert float(state.state) == 0.0
    tomorrow = hass.states.get("sensor.house_energy_forecast_tomorrow")
    assert tomorrow is not None
    assert float(tomorrow.state) > 0
