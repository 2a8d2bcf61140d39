"""Foresight's entities, snapshotted the way core integrations do it."""

from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion


@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.BINARY_SENSOR])
async def test_entities(
    hass: HomeAssistant,
    home: None,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    mock_config_entry.add_to_hass(hass)
    with patch("custom_components.foresight.PLATFORMS", [platform]):
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)


async def test_large_attributes_are_not_recorded(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    state = hass.states.get("sensor.house_energy_forecast_next_hour")
    assert state is not None
    assert len(state.attributes["forecast"]) == 48
    entity = hass.data["entity_components"]["sensor"].get_entity(state.entity_id)
    assert {"forecast", "explanation"} <= entity._unrecorded_attributes
    # What is recorded stays far below the recorder's 16 KiB limit.
    recorded = {
        key: value
        for key, value in state.attributes.items()
        if key not in entity._unrecorded_attributes
    }
    assert len(repr(recorded)) < 2048


async def test_a_power_sensor_gets_no_daily_totals(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    # The meter is cumulative: it has them.
    assert hass.states.get("sensor.house_energy_forecast_tomorrow") is not None
    assert hass.states.get("sensor.house_energy_forecast_rest_of_today") is not None
