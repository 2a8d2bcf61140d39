"""Several entries: their trainings queue up, one at a time, never in the event loop."""

import asyncio
import threading
import time
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.foresight import coordinator
from custom_components.foresight.const import CONF_ENGINE, CONF_TARGET_ENTITY, DOMAIN

from .home import OUTDOOR, TARGET


def _two_entries() -> list[MockConfigEntry]:
    return [
        MockConfigEntry(
            domain=DOMAIN,
            unique_id=target,
            data={CONF_TARGET_ENTITY: target},
            options={CONF_ENGINE: "numpy"},
        )
        for target in (TARGET, OUTDOOR)
    ]


async def test_trainings_of_several_entries_run_one_at_a_time(
    hass: HomeAssistant, home: None
) -> None:
    entries = _two_entries()
    active = 0
    most = 0
    threads: set[str] = set()
    lock = threading.Lock()
    real = coordinator.fit_models

    def tracking(*args: Any, **kwargs: Any) -> Any:
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
            threads.add(threading.current_thread().name)
        try:
            time.sleep(0.2)  # long enough for an overlap to show if the lock were missing
            return real(*args, **kwargs)
        finally:
            with lock:
                active -= 1

    # A plain function, not a Mock: the test harness runs Mocks inline instead of in the executor.
    with patch.object(coordinator, "fit_models", tracking):
        for entry in entries:
            entry.add_to_hass(hass)
        # Set both up at once, as Home Assistant does at start-up.
        await hass.config_entries.async_setup(entries[0].entry_id)
        await hass.async_block_till_done()

    assert [entry.state for entry in entries] == [ConfigEntryState.LOADED] * 2
    assert most == 1
    assert threading.main_thread().name not in threads


async def test_entries_read_and_predict_one_at_a_time(hass: HomeAssistant, home: None) -> None:
    """Reads of the recorder and predictions of entries starting together never overlap."""
    entries = _two_entries()
    busy = 0
    most = 0
    calls: list[str] = []
    lock = threading.Lock()  # reads count on the loop, predictions on an executor thread

    def start(kind: str) -> None:
        nonlocal busy, most
        with lock:
            busy += 1
            most = max(most, busy)
            calls.append(kind)

    def end() -> None:
        nonlocal busy
        with lock:
            busy -= 1

    real_read = coordinator.async_read_history
    real_predict = coordinator.predict

    async def reading(*args: Any, **kwargs: Any) -> Any:
        start("read")
        try:
            for _ in range(5):  # room for another entry to start, if nothing kept it out
                await asyncio.sleep(0)
            return await real_read(*args, **kwargs)
        finally:
            end()

    def predicting(*args: Any, **kwargs: Any) -> Any:
        start("predict")
        try:
            time.sleep(0.05)
            return real_predict(*args, **kwargs)
        finally:
            end()

    with (
        patch.object(coordinator, "async_read_history", reading),
        patch.object(coordinator, "predict", predicting),
    ):
        for entry in entries:
            entry.add_to_hass(hass)
        await hass.config_entries.async_setup(entries[0].entry_id)
        await hass.async_block_till_done()

    assert [entry.state for entry in entries] == [ConfigEntryState.LOADED] * 2
    assert calls.count("read") >= 4  # a training and a prediction each
    assert calls.count("predict") == 2
    assert most == 1
