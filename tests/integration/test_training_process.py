"""Fits in a child process: what Home Assistant's event loop needs, and what a user sees."""

import ctypes
from datetime import timedelta
import multiprocessing
from multiprocessing.process import BaseProcess
import operator
import os
from pathlib import Path
import threading
import time
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.foresight import training_executor
from custom_components.foresight.training_executor import (
    PROCESS_IDLE_SECONDS,
    TRAINING_EXECUTOR,
    TrainingExecutor,
    TrainingProcessError,
    TrainingStoppedError,
)


@pytest.fixture
def fits_on_the_thread() -> None:
    """Overrides the package's fixture: these tests are about the training process."""


def _children() -> list[BaseProcess]:
    return multiprocessing.active_children()


def _where_am_i(*, stopping: threading.Event) -> str:
    assert not stopping.is_set()
    return threading.current_thread().name


async def test_entry_trains_in_a_child_process_that_ends_when_idle(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    runtime = init_integration.runtime_data
    models = runtime.training.data
    assert models is not None
    assert models.forecaster is not None
    forecast = hass.states.get("sensor.house_energy_forecast_next_hour")
    assert forecast is not None
    assert forecast.state not in ("unknown", "unavailable")
    children = _children()
    assert len(children) == 1
    assert children[0].pid != os.getpid()
    assert hass.data[TRAINING_EXECUTOR].fits_run_in == "process"

    # A minute without fits: the process ends and gives its memory back.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=PROCESS_IDLE_SECONDS + 1))
    await hass.async_block_till_done(wait_background_tasks=True)
    await hass.async_add_executor_job(children[0].join, 10)
    assert not _children()

    # The next training starts a new one.
    await runtime.training.async_refresh()
    assert runtime.training.last_update_success
    assert runtime.training.data is not models
    assert len(_children()) == 1


def _announce_and_sleep(path: str, seconds: float) -> None:
    Path(path).touch()
    time.sleep(seconds)


def _wait_for_file(path: Path) -> bool:
    deadline = time.monotonic() + 60
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return path.exists()


async def test_stopping_ends_a_fit_in_the_process_at_once(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    executor = TrainingExecutor(hass)
    announced = tmp_path / "fit started"
    fit = hass.async_create_task(executor.async_fit(_announce_and_sleep, str(announced), 60))
    assert await hass.async_add_executor_job(_wait_for_file, announced)

    started = time.monotonic()
    await hass.async_add_executor_job(executor.shutdown)
    with pytest.raises(TrainingStoppedError):
        await fit
    assert time.monotonic() - started < 30  # not the 60 s the fit would have taken
    assert not _children()
    with pytest.raises(TrainingStoppedError):
        await executor.async_fit(operator.add, 1, 2)


async def test_a_process_that_dies_is_reported_and_replaced(hass: HomeAssistant) -> None:
    executor = TrainingExecutor(hass)
    with pytest.raises(TrainingProcessError):
        await executor.async_fit(os._exit, 1)
    # Reported once the dead process is reaped: nothing of it is left behind.
    assert not _children()
    assert await executor.async_fit(operator.add, 1, 2) == 3
    await hass.async_add_executor_job(executor.shutdown)
    assert not _children()


async def test_without_a_process_fits_run_on_the_training_thread(hass: HomeAssistant) -> None:
    executor = TrainingExecutor(hass)
    with patch.object(
        training_executor._TrainingProcess, "start", side_effect=OSError("no /dev/shm")
    ):
        assert (await executor.async_fit(_where_am_i)).startswith("foresight_training")
        # Decided once: no second attempt at a process for every fit.
        assert (await executor.async_fit(_where_am_i)).startswith("foresight_training")
    assert executor.fits_run_in == "thread"
    assert not _children()
    await hass.async_add_executor_job(executor.shutdown)


async def test_home_assistant_stop_ends_the_process(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    assert isinstance(hass.data[TRAINING_EXECUTOR], TrainingExecutor)
    assert len(_children()) == 1
    await hass.async_stop()
    assert not _children()


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _mapped_bytes_holding_a_big_array() -> int:
    """Bytes glibc maps separately for a 64 MB array."""
    import numpy as np  # noqa: PLC0415

    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _MallInfo2
    before = int(libc.mallinfo2().hblkhd)
    array = np.ones(8_000_000)
    mapped = int(libc.mallinfo2().hblkhd) - before
    del array
    return mapped


def test_training_process_keeps_big_arrays_out_of_fresh_mappings() -> None:
    """A fit's big arrays come from the heap and stay there: mapping and unmapping them stalled
    the other vCPU of a virtual machine for 30-55 ms at a time."""
    try:
        ctypes.CDLL("libc.so.6").mallinfo2  # noqa: B018 - glibc 2.33 or later
    except OSError, AttributeError:
        pytest.skip("not glibc")
    here = _mapped_bytes_holding_a_big_array()
    assert here >= 64_000_000  # the C library's default: a mapping of its own
    process = training_executor._TrainingProcess.start()
    try:
        in_child = process.pool.submit(_mapped_bytes_holding_a_big_array).result(timeout=60)
    finally:
        process.end()
    assert in_child == 0
