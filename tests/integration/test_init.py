"""Setting up, unloading, restarting and removing a Foresight entry."""

from datetime import timedelta
from pathlib import Path
import threading
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.foresight import history, training


def _model_file(hass: HomeAssistant, entry: MockConfigEntry) -> Path:
    return Path(hass.config.path(".storage", "foresight", f"{entry.entry_id}.model"))


async def test_setup_trains_and_unload_cleans_up(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    entry = init_integration
    assert entry.state is ConfigEntryState.LOADED
    devices = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    assert [(device.identifiers, device.entry_type) for device in devices] == [
        ({("foresight", entry.entry_id)}, dr.DeviceEntryType.SERVICE)
    ]
    assert entry.runtime_data.training.data is not None
    assert entry.runtime_data.training.data.forecaster is not None
    assert _model_file(hass, entry).is_file()

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    # The plugin fails the test if timers, tasks or listeners are left behind.


async def test_restart_restores_the_saved_model_without_training(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    entry = init_integration
    forecast_before = hass.states.get("sensor.house_energy_forecast_next_hour")
    assert forecast_before is not None
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    hass.data.pop("foresight_signing_key", None)  # a restart forgets the cached key

    with patch.object(training, "train_forecaster", side_effect=AssertionError("retrained")):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    state = hass.states.get("sensor.house_energy_forecast_next_hour")
    assert state is not None
    assert state.state == forecast_before.state
    assert hass.states.get("sensor.house_energy_model_in_use").state == "model"


async def test_corrupt_saved_model_is_retrained(
    hass: HomeAssistant, init_integration: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    entry = init_integration
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    _model_file(hass, entry).write_bytes(b"\x80\x04not a model at all")

    calls = []
    real = training.train_forecaster

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    with patch.object(training, "train_forecaster", side_effect=counting):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()

    assert calls == [1]
    assert entry.state is ConfigEntryState.LOADED
    assert "was not loaded" in caplog.text
    assert hass.states.get("sensor.house_energy_forecast_next_hour").state != "unknown"


async def test_recorder_failure_makes_setup_retry(
    hass: HomeAssistant, home: None, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    with patch(
        "custom_components.foresight.coordinator.async_read_history",
        side_effect=OSError("database is locked"),
    ):
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_recorder_read_that_hangs_makes_setup_retry(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    # No frozen clock here (the home fixture freezes it): the timeout runs on the loop's time.
    release = threading.Event()

    def stuck(*_args: Any) -> None:
        release.wait(30)  # a locked database: the query neither answers nor fails

    mock_config_entry.add_to_hass(hass)
    try:
        with (
            patch.object(history, "READ_TIMEOUT", timedelta(seconds=0.2)),
            patch.object(history, "_read_recorder", side_effect=stuck),
        ):
            await hass.config_entries.async_setup(mock_config_entry.entry_id)
            await hass.async_block_till_done()
    finally:
        release.set()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert "the recorder did not answer within 0.2 s" in caplog.text


async def test_training_error_in_executor_makes_setup_retry(
    hass: HomeAssistant, home: None, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    with patch.object(training, "train_forecaster", side_effect=RuntimeError("boom")):
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_removing_the_entry_deletes_its_model(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    model = _model_file(hass, init_integration)
    assert model.is_file()
    await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert not model.exists()
