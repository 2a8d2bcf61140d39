"""Fixtures for tests that run Foresight inside a test Home Assistant with a real recorder."""

import logging

from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import RecorderInstanceGenerator

from custom_components.foresight.const import CONF_TARGET_ENTITY, DOMAIN

TARGET = "sensor.house_energy"

# The plugin logs every SQL statement; a failing test's report is unreadable with them.
logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)


@pytest.fixture(autouse=True)
def mock_recorder_before_hass(async_setup_recorder_instance: RecorderInstanceGenerator) -> None:
    """Make the recorder's database exist before hass does (the plugin asserts that order)."""


@pytest.fixture(autouse=True)
async def recorder_and_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """Every integration test gets an in-memory SQLite recorder and the project's integration."""


@pytest.fixture
def mock_config_entry() -> MockConfigEntry:
    """A Foresight entry predicting the house energy meter."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="House energy",
        unique_id=TARGET,
        data={CONF_TARGET_ENTITY: TARGET},
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up Foresight with the default entry."""
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry
