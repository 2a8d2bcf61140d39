"""Where Foresight trains: a child process where the platform allows it, else one thread.

**Fits run in a child process.** A fit is a long stretch of NumPy, pandas and scikit-learn
work. On a thread of Home Assistant's own process it shares the GIL with the event loop, and
array code that releases and retakes the GIL many times a millisecond keeps retaking it
before the waiting loop thread wakes up: the loop stalled 15-45 ms at a time during fits, and
160-190 ms while the first fit imported scikit-learn. Beside the same fits in a child process
it was never 15 ms late (``python -m bench.fit_lag``). The child is started on the
first fit (``spawn``: a fresh interpreter, nothing inherited from Home Assistant's threads),
runs at nice 19, takes one fit at a time, keeps the memory its fits free for the next one
(glibc: see ``_CHILD_SETUP``), and exits after 15 seconds without work so that its memory goes
back to the system. Where a process cannot be started, fits fall back to the
training thread below.

**Restores, and fits without a child process, run on one thread** at nice 19 with Python's
cyclic garbage collector paused. A fit allocates a great many short-lived containers; with
collection running, those alive at a young collection are promoted, and enough promotions
set off a full collection, which walks every object of Home Assistant while holding the GIL
and stalled the event loop for 100-250 ms (``python -m bench.entries``). Paused, they are
freed by reference counting and never promoted; cycles created meanwhile are collected once
it resumes.
"""

import asyncio
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
import contextlib
from functools import partial
import gc
import logging
import multiprocessing
import os
import signal
import sys
import threading

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN

_LOGGER = logging.getLogger(__name__)

TRAINING_EXECUTOR: HassKey[TrainingExecutor] = HassKey(f"{DOMAIN}_training_executor")
LOWEST_PRIORITY = 19
# Fits go to a child process (tests that patch what a fit calls turn this off).
FITS_IN_PROCESS = True
# A child process left without work ends, giving its memory back. Entries training together
# (at start-up, or at the daily retrain time) follow each other within seconds.
PROCESS_IDLE_SECONDS = 15
PROCESS_START_TIMEOUT = 60
# glibc's mallopt parameters (malloc.h): the most allocations served by fresh mappings (0: none,
# all come from the heap) and how much free memory at the heap's top is kept rather than
# given back (more than a fit ever frees).
M_MMAP_MAX = -4
M_TRIM_THRESHOLD = -1
KEEP_FREED_BYTES = 1 << 30


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


class TrainingProcessError(Exception):
    """The training process ended during a fit (killed for memory, for example)."""


def _run_paused[T](func: Callable[[], T]) -> T:
    with COLLECTION_PAUSE:
        return func()


# The child's first code. Home Assistant finds custom integrations through a
# ``custom_components`` package it imports once and then takes the configuration directory off
# ``sys.path`` again, so the child could not import Foresight (nor unpickle anything of it,
# this code included: hence a string for the built-in ``exec``). It gets that package with the
# parent's search path, and Foresight's package without running its ``__init__``, which would
# import Home Assistant's recorder and config entries: 74 MiB a fit does not need. And the
# lowest CPU priority.
# And with glibc, freed memory stays in the child for the next fit: a fit allocates and frees
# arrays of tens of megabytes, each a fresh mapping returned at once, and on a virtual machine
# that churn stalled the other vCPU, event loop included, for 30-55 ms at a time (a nice-19
# process doing it beside a bare loop: worst 38-55 ms in 20 s, 7-13 ms with these settings, the
# same as beside a process that only computes). The child ends when idle, freeing it all.
# musl (Alpine) has no mallopt; there the child keeps the C library's defaults.
_CHILD_SETUP = """
import ctypes, os, sys, types
try:
    os.nice({priority})
except OSError:
    pass
try:
    libc = ctypes.CDLL("libc.so.6")
    libc.mallopt({no_mmap}, 0)
    libc.mallopt({trim_threshold}, {keep_bytes})
except (OSError, AttributeError):
    pass
for name, paths in {packages!r}:
    if name not in sys.modules:
        package = types.ModuleType(name)
        package.__path__ = paths
        sys.modules[name] = package
"""


def _child_setup() -> str:
    import custom_components  # noqa: PLC0415 - already imported: it holds this module

    packages = [
        (package.__name__, list(package.__path__))
        for package in (custom_components, sys.modules[__package__])
    ]
    return _CHILD_SETUP.format(
        priority=LOWEST_PRIORITY,
        packages=packages,
        no_mmap=M_MMAP_MAX,
        trim_threshold=M_TRIM_THRESHOLD,
        keep_bytes=KEEP_FREED_BYTES,
    )


class TrainingExecutor:
    """One child process for all entries' fits, and one low-priority thread.

    Attributes:
        stopping: Set when Home Assistant stops; fits on the thread check it between stages.
    """

    def __init__(self, hass: HomeAssistant, *, use_process: bool = True) -> None:
        """Create the executor; the thread and the process start on first use."""
        self.stopping = threading.Event()
        self._hass = hass
        self._thread = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="foresight_training", initializer=_lower_priority
        )
        self._use_process = use_process
        self._process: _TrainingProcess | None = None
        self._running_fits = 0
        self._idle_timer: asyncio.TimerHandle | None = None
        self._starting = asyncio.Lock()

    @property
    def fits_run_in(self) -> str:
        """Where fits run: ``process``, or ``thread`` where no process could be started."""
        return "process" if self._use_process else "thread"

    async def async_run[T](self, func: Callable[..., T], *args: object) -> T:
        """Run ``func(*args)`` on the training thread with collection paused.

        Raises:
            TrainingStoppedError: Home Assistant is stopping.
        """
        if self.stopping.is_set():
            raise TrainingStoppedError
        return await self._hass.loop.run_in_executor(
            self._thread, _run_paused, partial(func, *args)
        )

    async def async_fit[T](self, func: Callable[..., T], *args: object) -> T:
        """Run ``func(*args)`` in the training process (on the thread where there is none).

        ``func`` takes a ``stopping`` keyword: on the thread it is the executor's event; in
        the process it is not passed, because a stop ends the process instead.

        Raises:
            TrainingStoppedError: Home Assistant is stopping.
            TrainingProcessError: the training process ended during the fit.
        """
        if self.stopping.is_set():
            raise TrainingStoppedError
        process = await self._async_process() if self._use_process else None
        if process is None:
            return await self.async_run(partial(func, stopping=self.stopping), *args)
        self._running_fits += 1
        self._cancel_idle_timer()
        try:
            return await self._async_fit_in(process, func, *args)
        finally:
            self._running_fits -= 1
            if self._running_fits == 0 and not self.stopping.is_set():
                self._idle_timer = self._hass.loop.call_later(
                    PROCESS_IDLE_SECONDS, self._end_idle_process
                )

    async def _async_fit_in[T](
        self, process: _TrainingProcess, func: Callable[..., T], *args: object
    ) -> T:
        try:
            submitted = await self._hass.async_add_executor_job(process.pool.submit, func, *args)
            try:
                return await asyncio.wrap_future(submitted)
            except asyncio.CancelledError:
                # The stop cancelled the fit before the process took it up.
                if self.stopping.is_set() and submitted.cancelled():
                    raise TrainingStoppedError from None
                raise
        except BrokenProcessPool as err:
            if self._process is process:
                self._process = None
            if self.stopping.is_set():  # the stop ends the pool and waits for it
                raise TrainingStoppedError from err
            # The pool fails the fit before it reaps the dead process: wait for that, so
            # that nothing of it is left when the error is reported.
            await self._hass.async_add_executor_job(process.end)
            raise TrainingProcessError(str(err)) from err

    async def _async_process(self) -> _TrainingProcess | None:
        async with self._starting:
            if self._process is None:
                try:
                    started = await self._hass.async_add_executor_job(_TrainingProcess.start)
                except (OSError, ImportError, BrokenProcessPool) as err:
                    # No /dev/shm, no fork, a sandbox: the thread does the work instead.
                    _LOGGER.info("Training on a thread: no training process (%s)", err)
                    self._use_process = False
                    return None
                if self.stopping.is_set():  # Home Assistant began to stop meanwhile
                    await self._hass.async_add_executor_job(started.kill)
                    raise TrainingStoppedError
                self._process = started
            return self._process

    def _cancel_idle_timer(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _end_idle_process(self) -> None:
        self._idle_timer = None
        # A fit starting meanwhile would have cancelled this timer.
        if (process := self._process) is not None:
            self._process = None
            self._hass.async_add_executor_job(process.end)

    def shutdown(self) -> None:
        """End the process (a fit in it is abandoned) and wait for the thread to stop.

        A fit on the thread stops at its next stage. Called from an executor job.
        """
        self.stopping.set()
        self._hass.loop.call_soon_threadsafe(self._cancel_idle_timer)
        if (process := self._process) is not None:
            process.kill()
        self._thread.shutdown(wait=True, cancel_futures=True)


class _TrainingProcess:
    """The child process: a one-worker process pool, and the worker's process id."""

    def __init__(self, pool: ProcessPoolExecutor, pid: int) -> None:
        self.pool = pool
        self.pid = pid
        # Two shutdowns of one pool at once (a stop while a dead process is reaped) would
        # both close its result queue: the second with a bad file descriptor.
        self._shutdown_lock = threading.Lock()

    @classmethod
    def start(cls) -> _TrainingProcess:
        """Start the process and wait until it runs (about a second; an executor job)."""
        pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=exec,
            initargs=(_child_setup(),),
        )
        try:
            pid = pool.submit(os.getpid).result(timeout=PROCESS_START_TIMEOUT)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        return cls(pool, pid)

    def end(self) -> None:
        """Let the process exit once idle, and wait for it (a dead one: until it is joined)."""
        with self._shutdown_lock:
            self.pool.shutdown(wait=True)

    def kill(self) -> None:
        """End the process now, abandoning its fit, and wait until the pool has noticed."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        with self._shutdown_lock:
            self.pool.shutdown(wait=True, cancel_futures=True)


def training_executor(hass: HomeAssistant) -> TrainingExecutor:
    """The training executor of this Home Assistant, created on first use."""
    if (executor := hass.data.get(TRAINING_EXECUTOR)) is not None:
        return executor
    executor = hass.data[TRAINING_EXECUTOR] = TrainingExecutor(hass, use_process=FITS_IN_PROCESS)

    async def _async_shutdown(_event: Event) -> None:
        # The stopped executor stays in place, so a reload during the stop cannot start
        # another thread or process. Ending the process abandons its fit at once; a fit on
        # the thread stops at its next stage (well under a second). Waiting keeps the saved
        # model consistent and leaves nothing running behind.
        await hass.async_add_executor_job(executor.shutdown)
        _LOGGER.debug("Training stopped")

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _async_shutdown)
    return executor
