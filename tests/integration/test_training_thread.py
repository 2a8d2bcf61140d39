"""Where trainings run: one low-priority thread, collection paused, and a clean stop."""

import gc
import logging
import os
from pathlib import Path
import sys
import threading
from typing import Any
from unittest.mock import patch

from homeassistant.core import CoreState, HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.foresight import training
from custom_components.foresight.training_executor import (
    COLLECTION_PAUSE,
    LOWEST_PRIORITY,
    TRAINING_EXECUTOR,
)


def _training_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("foresight_training")]


async def test_fits_run_on_one_low_priority_thread_with_collection_paused(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    seen: list[dict[str, Any]] = []
    real = training.train_forecaster

    def observed(*args: Any) -> Any:
        seen.append(
            {
                "thread": threading.current_thread().name,
                "collecting": gc.isenabled(),
                "priority": (
                    os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
                    if sys.platform == "linux"
                    else LOWEST_PRIORITY
                ),
            }
        )
        return real(*args)

    with patch.object(training, "train_forecaster", observed):
        await init_integration.runtime_data.training.async_refresh()
        await init_integration.runtime_data.training.async_refresh()

    assert len(seen) == 2
    assert {call["thread"] for call in seen} == {"foresight_training_0"}
    assert not any(call["collecting"] for call in seen)
    assert {call["priority"] for call in seen} == {LOWEST_PRIORITY}
    # Collection is back on once the fit is over.
    assert gc.isenabled()


def test_collection_pause_nests_and_respects_a_collector_disabled_by_someone_else() -> None:
    with COLLECTION_PAUSE:
        with COLLECTION_PAUSE:
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with COLLECTION_PAUSE:
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


async def test_stopping_during_a_training_keeps_the_saved_model(
    hass: HomeAssistant, init_integration: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    coordinator = init_integration.runtime_data.training
    previous = coordinator.data
    model_file = Path(
        hass.config.path(".storage", "foresight", f"{init_integration.entry_id}.model")
    )
    saved = await hass.async_add_executor_job(model_file.read_bytes)
    started = threading.Event()
    real = training.train_forecaster

    def long_fit(*args: Any) -> Any:
        started.set()
        # A fit still running when Home Assistant begins to stop.
        hass.data[TRAINING_EXECUTOR].stopping.wait(10)
        return real(*args)

    caplog.set_level(logging.WARNING)
    with patch.object(training, "train_forecaster", long_fit):
        retrain = hass.async_create_task(coordinator.async_refresh())
        assert await hass.async_add_executor_job(started.wait, 10)
        await hass.async_stop()
        await retrain

    # The fit gave up before its next stage: the previous model is still served and saved.
    assert coordinator.data is previous
    assert coordinator.last_update_success
    assert await hass.async_add_executor_job(model_file.read_bytes) == saved
    assert not _training_threads()
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


async def test_no_prediction_reads_the_recorder_while_home_assistant_stops(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    runtime = init_integration.runtime_data
    served = runtime.predictions.data
    hass.set_state(CoreState.stopping)
    try:
        with patch("custom_components.foresight.coordinator.async_read_history") as read_history:
            # A training ending now (given up, or finished) must not start a prediction.
            runtime.training.async_update_listeners()
            await runtime.predictions.async_refresh()
            await hass.async_block_till_done()
    finally:
        hass.set_state(CoreState.running)

    read_history.assert_not_called()
    assert runtime.predictions.data is served
