"""Bad configuration and storage faults leave Foresight running with a clear state."""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
import errno
import json
import math
from pathlib import Path
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.foresight import coordinator, training
from custom_components.foresight.const import (
    CONF_EXCLUDED_PERIODS,
    CONF_HORIZON_HOURS,
    CONF_RETRAIN_TIME,
    CONF_SENSITIVITY,
    CONF_TRAINING_DAYS,
    DOMAIN,
)
from custom_components.foresight.diagnostics import async_get_config_entry_diagnostics
from custom_components.foresight.model_store import ModelStore, SavedState

from .conftest import NOW
from .home import METER_ATTRIBUTES, TARGET


async def test_hand_edited_invalid_options_fall_back_to_defaults(
    hass: HomeAssistant,
    home: None,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=TARGET,
        data={**mock_config_entry.data, "feature_entities": "not a list"},
        options={
            CONF_TRAINING_DAYS: "a year",
            CONF_RETRAIN_TIME: "25:99",
            CONF_SENSITIVITY: "paranoid",
            CONF_HORIZON_HOURS: True,
            CONF_EXCLUDED_PERIODS: [{"start": "yesterday"}, "junk", {"start": 1, "end": 2}],
        },
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    settings = entry.runtime_data.settings
    assert (settings.training_days, settings.sensitivity, settings.horizon_hours) == (
        365,
        "medium",
        48,
    )
    assert settings.retrain_time.isoformat() == "03:17:00"
    assert settings.features == ()
    assert settings.excluded_periods == ()
    assert "Option sensitivity has the invalid value 'paranoid'" in caplog.text
    assert len(entry.runtime_data.predictions.data.hours) == 48


async def test_model_signed_by_another_installation_is_not_loaded(
    hass: HomeAssistant, init_integration: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    store = ModelStore(hass, init_integration.entry_id)
    # The file is there and sound: this installation's key reads it.
    assert (await store.async_load()).forecaster is not None
    # Another installation has another key: its file must be refused, not unpickled.
    hass.data["foresight_signing_key"] = b"another installation's key......"
    saved = await store.async_load()
    assert saved.forecaster is None
    assert "was not loaded (foreign)" in caplog.text


async def test_full_disk_keeps_the_model_in_memory(
    hass: HomeAssistant,
    home: None,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    mock_config_entry.add_to_hass(hass)
    full = OSError(errno.ENOSPC, "No space left on device")
    with patch.object(ModelStore, "_write_model", side_effect=full):
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        assert mock_config_entry.state is ConfigEntryState.LOADED
        assert hass.states.get("sensor.house_energy_forecast_next_hour").state != "unknown"
        await hass.services.async_call(
            DOMAIN, "retrain", {"config_entry_id": mock_config_entry.entry_id}, blocking=True
        )
    # Said once, not at every training.
    assert caplog.text.count("Cannot save the model") == 1


async def test_unreadable_model_file_is_retrained(
    hass: HomeAssistant, init_integration: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    with patch.object(Path, "read_bytes", side_effect=PermissionError("read-only")):
        store = ModelStore(hass, init_integration.entry_id)
        saved = await store.async_load()
    assert saved.forecaster is None
    assert "Cannot read saved model" in caplog.text


async def test_target_turning_into_text_does_not_break_predictions(
    hass: HomeAssistant, init_integration: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    # Statistics end at 00:00, so the hours after are read from the meter's states: from
    # 01:00 to 02:00 it reports text, before and after it counts 0.15 kWh a quarter.
    reading = float(hass.states.get(TARGET).state)
    moment = NOW + timedelta(minutes=15)
    while moment <= NOW + timedelta(hours=3):
        reading += 0.15
        state = "error: meter offline" if moment.hour == 1 else f"{reading:.3f}"
        hass.states.async_set(TARGET, state, METER_ATTRIBUTES, timestamp=moment.timestamp())
        moment += timedelta(minutes=15)
    await async_wait_recording_done(hass)
    freezer.move_to(NOW + timedelta(hours=3))

    with patch.object(coordinator, "predict", wraps=coordinator.predict) as predict:
        await init_integration.runtime_data.predictions.async_refresh()
    assert init_integration.runtime_data.predictions.last_update_success
    target = predict.call_args.args[1]["target"]
    assert math.isnan(target[datetime(2026, 3, 2, 1, tzinfo=UTC)])
    assert target[datetime(2026, 3, 2, 2, tzinfo=UTC)] == pytest.approx(0.6)
    assert hass.states.get("sensor.house_energy_forecast_next_hour").state != "unavailable"


async def test_saved_anomaly_state_that_is_not_usable_is_relearnt(
    hass: HomeAssistant, init_integration: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    models = init_integration.runtime_data.training.data
    saved = SavedState(models.forecaster, {"kind": "martian"}, training.models_meta(models))
    restored = training.restore_models(saved, models.fingerprint)
    assert restored is not None
    assert restored.detector is None
    assert "Saved anomaly state was not usable" in caplog.text


async def test_backtest_without_scored_hours_shows_unknown_not_nan(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    models = init_integration.runtime_data.training.data
    nan = float("nan")
    backtest = replace(models.forecaster.backtest, model_mae=nan, skill=nan)
    models.forecaster = replace(models.forecaster, backtest=backtest)
    await init_integration.runtime_data.predictions.async_refresh()
    assert hass.states.get("sensor.house_energy_forecast_error").state == "unknown"
    assert hass.states.get("sensor.house_energy_forecast_skill").state == "unknown"
    diagnostics = await async_get_config_entry_diagnostics(hass, init_integration)
    assert diagnostics["backtest"]["model_mae"] is None
    json.dumps(diagnostics, allow_nan=False, default=str)  # valid JSON: no NaN


async def test_entries_starting_together_share_one_signing_key(hass: HomeAssistant) -> None:
    stores = [ModelStore(hass, f"entry{index}") for index in range(5)]
    real_load, real_save = Store.async_load, Store.async_save

    # The test harness keeps storage in memory; real loads and saves suspend (executor I/O).
    async def load_from_disk(store: Store[Any]) -> Any:
        await asyncio.sleep(0)
        return await real_load(store)

    async def save_to_disk(store: Store[Any], data: Any) -> None:
        await asyncio.sleep(0)
        await real_save(store, data)

    with (
        patch.object(Store, "async_load", load_from_disk),
        patch.object(Store, "async_save", save_to_disk),
    ):
        keys = await asyncio.gather(*(store._async_signing_key() for store in stores))
    assert len(set(keys)) == 1
    hass.data.pop("foresight_signing_key")  # as after a restart: the saved key is read back
    assert await stores[0]._async_signing_key() == keys[0]
