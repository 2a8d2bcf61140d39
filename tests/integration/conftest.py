"""Fixtures for tests that run Foresight inside a test Home Assistant with a real recorder."""

from collections.abc import Iterator
from datetime import UTC, datetime
import logging
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from pytest_homeassistant_custom_component.typing import RecorderInstanceGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.foresight import training_executor
from custom_components.foresight.const import (
    CONF_ENGINE,
    CONF_FEATURE_ENTITIES,
    CONF_TARGET_ENTITY,
    DOMAIN,
)

from .home import OUTDOOR, TARGET, seed_home

# Tests run at a fixed moment so that imported history and "now" line up.
NOW = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)

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


@pytest.fixture(autouse=True)
def fits_on_the_thread() -> Iterator[None]:
    """Fits run on the training thread, where the tests' patches of what a fit calls apply.

    ``test_training_process.py`` turns the training process back on.
    """
    with patch.object(training_executor, "FITS_IN_PROCESS", False):
        yield


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Home Assistant's serializer: stable snapshots of registry entries and states.

    Both syrupy and the test plugin define ``snapshot``; syrupy's otherwise wins.
    """
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """Each test gets its own config directory: saved models never leak between tests."""
    return hass_tmp_config_dir


@pytest.fixture
def mock_config_entry() -> MockConfigEntry:
    """A Foresight entry predicting the house energy meter."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="House energy",
        entry_id="01JFORESIGHTHOUSEENERGY000",
        unique_id=TARGET,
        data={CONF_TARGET_ENTITY: TARGET, CONF_FEATURE_ENTITIES: [OUTDOOR]},
        # NumPy: the same numbers whether or not scikit-learn is installed (snapshots).
        options={CONF_ENGINE: "numpy"},
    )


@pytest.fixture
async def home(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Five weeks of a synthetic home's history, and the clock at NOW."""
    freezer.move_to(NOW)
    await seed_home(hass, NOW.replace(minute=0), days=35)


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, home: None, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up Foresight with the default entry."""
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry
