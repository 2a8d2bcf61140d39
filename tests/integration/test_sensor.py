"""Foresight's entities, snapshotted the way core integrations do it."""

from datetime import timedelta
from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import numpy as np
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.foresight.const import CONF_ENGINE, CONF_TARGET_ENTITY, DOMAIN

from .conftest import NOW
from .recorder_data import import_mean_statistics

POWER = "sensor.house_power"


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
    # The meter is cumulative: its hours add up to a day's use.
    assert hass.states.get("sensor.house_energy_forecast_tomorrow") is not None
    assert hass.states.get("sensor.house_energy_forecast_rest_of_today") is not None
    # A power sensor's hours are mean watts: a sum of them is no total of anything.
    end = NOW.replace(minute=0)
    starts = [end - timedelta(hours=hours) for hours in range(35 * 24, 0, -1)]
    watts = 400.0 + 300.0 * np.sin(np.arange(len(starts)) * 2 * np.pi / 24)
    await import_mean_statistics(hass, POWER, starts, watts, unit="W", unit_class="power")
    hass.states.async_set(
        POWER,
        f"{watts[-1]:.0f}",
        {"unit_of_measurement": "W", "device_class": "power", "state_class": "measurement"},
    )
    await async_wait_recording_done(hass)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="House power",
        unique_id=POWER,
        data={CONF_TARGET_ENTITY: POWER},
        options={CONF_ENGINE: "numpy"},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert hass.states.get("sensor.house_power_forecast_next_hour") is not None
    assert hass.states.get("sensor.house_power_forecast_tomorrow") is None
    assert hass.states.get("sensor.house_power_forecast_rest_of_today") is None
