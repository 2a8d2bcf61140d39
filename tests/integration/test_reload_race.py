"""A training that ends after its entry was reloaded or unloaded leaves no trace."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
import logging
import threading
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.foresight import coordinator
from custom_components.foresight.const import CONF_SENSITIVITY
from custom_components.foresight.model_store import ModelStore, SavedState


@contextmanager
def _held(name: str) -> Iterator[tuple[threading.Event, threading.Event]]:
    """The coordinator's executor job ``name`` waits for ``release`` once it has ``started``."""
    started, release = threading.Event(), threading.Event()
    real = getattr(coordinator, name)

    # A plain function, not a Mock: the test harness runs Mocks inline instead of in the executor.
    def held(*args: Any, **kwargs: Any) -> Any:
        started.set()
        release.wait(10)
        return real(*args, **kwargs)

    with patch.object(coordinator, name, held):
        try:
            yield started, release
        finally:
            release.set()


@contextmanager
def _recorded_saves() -> Iterator[list[tuple[ModelStore, str]]]:
    saves: list[tuple[ModelStore, str]] = []
    real = ModelStore.async_save

    async def recording(store: ModelStore, saved: SavedState) -> bool:
        saves.append((store, saved.meta["fingerprint"]))
        return await real(store, saved)

    with patch.object(ModelStore, "async_save", recording):
        yield saves


async def test_training_ending_after_a_reload_is_not_saved(
    hass: HomeAssistant, init_integration: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    entry = init_integration
    old = entry.runtime_data
    with _recorded_saves() as saves, _held("fit_models") as (started, release):
        retrain = hass.async_create_task(old.training.async_refresh())
        assert await hass.async_add_executor_job(started.wait, 10)
        # New options while the fit runs: the new set-up's training waits behind it.
        hass.config_entries.async_update_entry(
            entry, options={**entry.options, CONF_SENSITIVITY: "high"}
        )
        reload = hass.async_create_task(hass.config_entries.async_reload(entry.entry_id))
        for _ in range(1000):
            if getattr(entry, "runtime_data", old) is not old:
                break
            await asyncio.sleep(0.01)
        new = entry.runtime_data
        release.set()
        await retrain
        assert await reload

    assert entry.state is ConfigEntryState.LOADED
    assert old.training.last_update_success
    # Only the new coordinator saved, under the new settings.
    assert saves == [(new.store, new.settings.training_fingerprint())]
    assert new.training.data.fingerprint == new.settings.training_fingerprint()
    assert "Unexpected error" not in caplog.text


async def test_training_ending_after_an_unload_is_not_saved(
    hass: HomeAssistant, init_integration: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    entry = init_integration
    old = entry.runtime_data
    caplog.set_level(logging.DEBUG, logger="custom_components.foresight")
    with _recorded_saves() as saves, _held("fit_models") as (started, release):
        retrain = hass.async_create_task(old.training.async_refresh())
        assert await hass.async_add_executor_job(started.wait, 10)
        assert await hass.config_entries.async_unload(entry.entry_id)
        release.set()
        await retrain

    assert entry.state is ConfigEntryState.NOT_LOADED
    assert old.training.last_update_success
    assert saves == []
    assert "Unexpected error" not in caplog.text
    assert "dropped: the entry was unloaded during the fit" in caplog.text


async def test_training_waiting_for_its_turn_during_an_unload_does_not_start(
    hass: HomeAssistant, init_integration: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    entry = init_integration
    old = entry.runtime_data
    # Another entry's training holds the turn.
    turn = hass.data[coordinator.TRAINING_LOCK]
    with _recorded_saves() as saves:
        async with turn:
            retrain = hass.async_create_task(old.training.async_refresh())
            await asyncio.sleep(0)
            assert await hass.config_entries.async_unload(entry.entry_id)
        with patch.object(coordinator, "fit_models", side_effect=AssertionError("fitted")):
            await retrain

    assert old.training.last_update_success
    assert saves == []
    assert "Unexpected error" not in caplog.text


async def test_prediction_ending_after_an_unload_touches_no_repair(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    entry = init_integration
    predictions = entry.runtime_data.predictions
    with (
        _held("predict") as (started, release),
        patch.object(coordinator.repairs, "async_update_anomaly_issue") as anomaly_issue,
    ):
        refresh = hass.async_create_task(predictions.async_refresh())
        assert await hass.async_add_executor_job(started.wait, 10)
        assert await hass.config_entries.async_unload(entry.entry_id)
        release.set()
        await refresh
        await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.NOT_LOADED
    anomaly_issue.assert_not_called()
