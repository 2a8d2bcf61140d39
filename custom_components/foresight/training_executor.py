"""The thread Foresight trains on: one, at the lowest CPU priority, with collection paused.

Trainings run one at a time on a thread of their own, so on a two-core machine Home
Assistant keeps a core, and on Linux the thread runs at nice 19 so that the scheduler
prefers everything else when the machine is busy.

While a fit runs, Python's cyclic garbage collector is paused. A fit allocates a great many
short-lived containers; with collection running, those alive at a young collection are
promoted, and enough promotions set off a full collection, which walks every object of Home
Assistant while holding the GIL and stalled the event loop for 100-250 ms
(``python -m bench.entries``). Paused, they are freed by reference counting and never
promoted; cycles created meanwhile are collected once it resumes.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
import contextlib
from functools import partial
import gc
import logging
import os
import sys
import threading

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN

_LOGGER = logging.getLogger(__name__)

TRAINING_EXECUTOR: HassKey[TrainingExecutor] = HassKey(f"{DOMAIN}_training_executor")
LOWEST_PRIORITY = 19


def _lower_priority() -> None:
    """Give the calling thread the lowest CPU priority (Linux only: a thread has its own)."""
    if sys.platform != "linux":
        return
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST_PRIORITY)


class _CollectionPause:
    """Pauses the cyclic garbage collector while at least one holder is inside."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._resume = False

    def __enter__(self) -> None:
        with self._lock:
            if self._holders == 0:
                # Someone else may have disabled it on purpose: then leave it disabled.
                self._resume = gc.isenabled()
                gc.disable()
            self._holders += 1

    def __exit__(self, *_exc: object) -> None:
        with self._lock:
            self._holders -= 1
            if self._holders == 0 and self._resume:
                gc.enable()


COLLECTION_PAUSE = _CollectionPause()


class TrainingStoppedError(Exception):
    """Home Assistant is stopping: the training was not started, or gave up between stages."""


def _run_paused[T](func: Callable[[], T]) -> T:
    with COLLECTION_PAUSE:
        return func()


class TrainingExecutor:
    """One low-priority worker thread for all entries' trainings.

    Attributes:
        stopping: Set when Home Assistant stops; fits check it between stages.
    """

    def __init__(self) -> None:
        """Create the (lazily started) worker."""
        self.stopping = threading.Event()
        self._pool = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="foresight_training", initializer=_lower_priority
        )

    async def async_run[T](self, hass: HomeAssistant, func: Callable[..., T], *args: object) -> T:
        """Run ``func(*args)`` on the training thread with collection paused.

        Raises:
            TrainingStoppedError: Home Assistant is stopping.
        """
        if self.stopping.is_set():
            raise TrainingStoppedError
        return await hass.loop.run_in_executor(self._pool, _run_paused, partial(func, *args))

    def shutdown(self) -> None:
        """Ask a running fit to stop at its next stage, and wait for the thread to end."""
        self.stopping.set()
        self._pool.shutdown(wait=True, cancel_futures=True)


def training_executor(hass: HomeAssistant) -> TrainingExecutor:
    """The training executor of this Home Assistant, created on first use."""
    if (executor := hass.data.get(TRAINING_EXECUTOR)) is not None:
        return executor
    executor = hass.data[TRAINING_EXECUTOR] = TrainingExecutor()

    async def _async_shutdown(_event: Event) -> None:
        # The stopped executor stays in place, so a reload during the stop cannot start
        # another thread. A fit stops at its next stage (well under a second); waiting for
        # it keeps the saved model consistent and leaves no thread behind.
        await hass.async_add_executor_job(executor.shutdown)
        _LOGGER.debug("Training thread stopped")

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _async_shutdown)
    return executor
