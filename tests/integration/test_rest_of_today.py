"""During the day's last hour the rest of today is 0, not unknown."""

from datetime import UTC, datetime

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.foresight.const import CONF_HORIZON_HOURS, DOMAIN

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


async def test_rest_of_today_is_unknown_when_the_horizon_ends_before_midnight(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, mock_config_entry: MockConfigEntry
) -> None:
    # 08:30 local with a 3-hour horizon: the forecast stops at 12:00, long before midnight.
    morning = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
    freezer.move_to(morning)
    await seed_home(hass, morning.replace(minute=0), days=35)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=mock_config_entry.title,
        unique_id=mock_config_entry.unique_id,
        data=mock_config_entry.data,
        options={**mock_config_entry.options, CONF_HORIZON_HOURS: 3},
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert len(entry.runtime_data.predictions.data.hours) == 3
    state = hass.states.get("sensor.house_energy_forecast_rest_of_today")
    assert state is not None
    assert state.state == "unknown"
