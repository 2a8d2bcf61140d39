"""Benchmark: many Foresight entries in one Home Assistant, on years of history.

Run with ``python -m bench.entries``. It builds (once a day, cached under bench/data/) a
file-backed SQLite recorder holding two years of hourly statistics up to today for N energy
meters of synthetic homes, then starts Home Assistant with Foresight and N entries (one per
meter) and measures:

- the time until every entry has trained (they train one at a time), and each training;
- the event loop's lag during all of it (a 5 ms periodic callback; max and p99);
- the resident memory added by the entries once trained, the training process's (fits run in
  a child process) after the last fit and at its peak, and whether it ended once idle;
- a second start with the saved models, by default as Home Assistant restarts (the entries
  are set up before it has started; ``--warm-start running`` sets them up in a running one):
  set-up time and event-loop time per entry;
- the full (generation 2) garbage collections during each start and how long each took: a
  full collection walks every object of the process while holding the GIL, so it stalls the
  event loop whichever thread triggered it.

Prints a JSON summary.
"""

import argparse
import asyncio
from datetime import UTC, datetime, timedelta
import gc
import json
import multiprocessing
import os
from pathlib import Path
import resource
import signal
import statistics
import subprocess
import sys
import threading
import time
import traceback
from typing import Any, Self

from homeassistant import loader
from homeassistant.components.recorder.const import DOMAIN as RECORDER_DOMAIN
from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.helpers.recorder import async_initialize_recorder, get_instance
from homeassistant.setup import async_setup_component
import numpy as np
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
    async_test_home_assistant,
)

from custom_components.foresight.const import DOMAIN
from custom_components.foresight.ml.synthetic import synthetic_home
from custom_components.foresight.training_executor import (
    PROCESS_IDLE_SECONDS,
    training_executor,
)

from .history import CLOCK_TICKS_PER_SECOND, LAG_PERIOD, Lags, _memory_kib

DATA_DIR = Path(__file__).parent / "data"
REPOSITORY = Path(__file__).parents[1]
WARM_START_MODES = {
    "restart": "while Home Assistant starts (a restart)",
    "running": "in a running Home Assistant (all reloaded at once)",
}
#: The issue's limit on how long the loop may be blocked: lags over it are itemised.
LAG_LIMIT = 0.020
ATTRIBUTES = {
    "unit_of_measurement": "kWh",
    "device_class": "energy",
    "state_class": "total_increasing",
}


def _meter(index: int) -> str:
    return f"sensor.bench_home_{index:02d}_energy"


def _history_end() -> datetime:
    """Where the meters' history ends: today's UTC midnight.

    Foresight trains on the days before now, so the history must reach up to now: a meter
    silent for weeks (a fixed end date, weeks later) leaves its backtest nothing to score and
    every entry serves a baseline, which trains in a fraction of the time.
    """
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


async def _fill(hass: HomeAssistant, entries: int, days: int, end: datetime) -> None:
    start = end - timedelta(days=days)
    for index in range(entries):
        frame = synthetic_home(days + 2, start=str(start.date() - timedelta(days=1)), seed=index)
        frame = frame[(frame.index >= start - timedelta(hours=1)) & (frame.index < end)]
        sums = 1000.0 + np.cumsum(frame["target"].to_numpy())
        async_import_statistics(
            hass,
            StatisticMetaData(
                mean_type=StatisticMeanType.NONE,
                has_sum=True,
                name=None,
                source="recorder",
                statistic_id=_meter(index),
                unit_class="energy",
                unit_of_measurement="kWh",
            ),
            [
                StatisticData(start=moment.to_pydatetime(), state=total, sum=total)
                for moment, total in zip(frame.index, sums, strict=True)
            ],
        )
        await hass.async_block_till_done()
    await hass.async_add_executor_job(get_instance(hass).block_till_done)


def _config_dir(name: str) -> Path:
    """A config directory with Foresight linked in as a custom integration."""
    config = DATA_DIR / name
    (config / "custom_components").mkdir(parents=True, exist_ok=True)
    link = config / "custom_components" / "foresight"
    if not link.exists():
        link.symlink_to(REPOSITORY / "custom_components" / "foresight")
    return config


class _FullCollections:
    """Durations of the full garbage collections while installed, in seconds, and where.

    The callback runs on the thread whose allocation set the collection off; its innermost
    frames say what was allocating.
    """

    def __init__(self) -> None:
        self.durations: list[float] = []
        self.where: list[str] = []
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
            frames = traceback.extract_stack(limit=4)[:-1]
            self.where.append(
                f"{threading.current_thread().name}: "
                + " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in frames[::-1])
            )
        else:
            self.durations.append(time.perf_counter() - self._started)

    def install(self) -> None:
        gc.callbacks.append(self._callback)

    def uninstall(self) -> None:
        gc.callbacks.remove(self._callback)

    def summary(self) -> dict[str, Any]:
        return {
            "count": len(self.durations),
            "max_ms": round(1000 * max(self.durations, default=0.0), 1),
            "where": self.where,
        }


# A bare event loop in a process of its own, woken like the benchmark's lag probe: how late it
# wakes is what this machine (a shared VM: other processes, the host) does to any loop. It
# reports its wake-ups later than CONTROL_LATE as (start, end) on the system-wide monotonic
# clock, so Home Assistant's lags can be split into those the machine shares and the rest.
CONTROL_LATE = 0.010
_CONTROL_LOOP = """
import asyncio, json, signal, sys, time
period, late = float(sys.argv[1]), float(sys.argv[2])
async def main():
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    lags, windows = [], []
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(period)
        ended = time.perf_counter()
        lags.append(ended - started - period)
        if lags[-1] > late:
            windows.append((started, ended))
    lags.sort()
    print(json.dumps({"max_ms": round(1000 * lags[-1], 1),
                      "p99_ms": round(1000 * lags[int(0.99 * (len(lags) - 1))], 1),
                      "late": windows}))
asyncio.run(main())
"""


class _ControlLoop:
    """Runs :data:`_CONTROL_LOOP` while in the ``with`` block."""

    def __init__(self) -> None:
        self.lag: dict[str, float] = {}
        self.late: list[tuple[float, float]] = []
        self.pid = 0

    def __enter__(self) -> Self:
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", _CONTROL_LOOP, str(LAG_PERIOD), str(CONTROL_LATE)],
            stdout=subprocess.PIPE,
            text=True,
        )
        if self._process.stdout is not None:
            self._process.stdout.readline()  # "ready": the loop runs
        self.pid = self._process.pid
        return self

    def __exit__(self, *_exc: object) -> None:
        self._process.send_signal(signal.SIGTERM)
        output, _ = self._process.communicate(timeout=30)
        result = json.loads(output)
        self.late = [(start, end) for start, end in result.pop("late")]
        self.lag = result


def _describe(handle: asyncio.Handle) -> str:
    """What a handle runs: for a task's step, the task's coroutine."""
    task = getattr(getattr(handle, "_callback", None), "__self__", None)
    if isinstance(task, asyncio.Task):
        coroutine = task.get_coro()
        return f"task {getattr(coroutine, '__qualname__', coroutine)!s}"[:160]
    return repr(handle)[:160]


class _LoopTime:
    """Event-loop time spent in callbacks, measured by wrapping the loop's handles."""

    def __init__(self) -> None:
        self.busy = 0.0
        # The longest single callback and what it was: a long one is our code blocking the
        # loop; lag without one is the loop waiting for the GIL or the CPU.
        self.longest = 0.0
        self.longest_handle = ""
        # The most CPU time the loop thread spent in one callback: wall time can include the
        # thread being descheduled; this part is the loop's own work.
        self.longest_cpu = 0.0
        self.longest_cpu_handle = ""
        # The recorder thread's CPU time meanwhile: it holds the GIL the loop then waits for.
        self.recorder_cpu = 0.0

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        original = asyncio.Handle._run  # noqa: SLF001 - measuring the loop itself

        def timed(handle: asyncio.Handle) -> None:
            started = time.perf_counter()
            started_cpu = time.thread_time()
            original(handle)
            took = time.perf_counter() - started
            took_cpu = time.thread_time() - started_cpu
            self.busy += took
            if took > self.longest:
                self.longest, self.longest_handle = took, _describe(handle)
            if took_cpu > self.longest_cpu:
                self.longest_cpu, self.longest_cpu_handle = took_cpu, _describe(handle)

        asyncio.Handle._run = timed  # type: ignore[method-assign,assignment]  # noqa: SLF001
        self._restore = original

    def uninstall(self) -> None:
        asyncio.Handle._run = self._restore  # type: ignore[method-assign]  # noqa: SLF001


async def _start(
    config: Path,
    database: Path,
    entries: int,
    lags: Lags,
    *,
    fill_days: int | None,
    history_end: datetime,
    training_days: int,
    collections: _FullCollections,
    control: _ControlLoop,
    engine: str = "auto",
    restart: bool = False,
) -> tuple[HomeAssistant, list[MockConfigEntry], float, _LoopTime]:
    """Start hass with the recorder and N entries; return set-up wall time and loop time.

    With ``restart`` the entries are set up while Home Assistant starts, as at a restart: the
    recorder then holds the states written meanwhile until Home Assistant has started and looks
    up their ids in one batch. Otherwise they are set up in a running Home Assistant, where the
    recorder looks up each new state's ids as it arrives.
    """
    context = async_test_home_assistant(
        config_dir=str(config),
        initial_state=CoreState.not_running if restart else CoreState.running,
    )
    hass = await context.__aenter__()
    hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)  # let it load custom integrations
    await hass.config.async_set_time_zone("Europe/Berlin")
    async_initialize_recorder(hass)
    await async_setup_component(
        hass,
        RECORDER_DOMAIN,
        {RECORDER_DOMAIN: {"db_url": f"sqlite:///{database}", "commit_interval": 1}},
    )
    await get_instance(hass).async_db_ready
    if fill_days is not None:
        await _fill(hass, entries, fill_days, history_end)
    gc.collect()
    hass.data["_bench_context"] = context
    config_entries = []
    for index in range(entries):
        hass.states.async_set(_meter(index), "0", ATTRIBUTES)
        entry = MockConfigEntry(
            domain=DOMAIN,
            entry_id=f"bench{index:02d}",
            unique_id=_meter(index),
            data={"target_entity": _meter(index)},
            options={"training_days": training_days, "engine": engine},
        )
        entry.add_to_hass(hass)
        config_entries.append(entry)
    stop = asyncio.Event()
    with control:
        watcher = asyncio.create_task(lags.watch(stop))
        loop_time = _LoopTime()
        loop_time.install(asyncio.get_running_loop())
        collections.install()
        recorder_thread = get_instance(hass).native_id
        recorder_cpu = _thread_cpu_seconds(recorder_thread)
        started = time.perf_counter()
        try:
            if not await async_setup_component(hass, DOMAIN, {}):
                msg = "Foresight did not set up"
                raise RuntimeError(msg)
            await hass.async_block_till_done()
            if restart:
                await hass.async_start()
            # The recorder writing the entries' states is part of their set-up's cost.
            await get_instance(hass).async_block_till_done()
            await hass.async_block_till_done()
        finally:
            collections.uninstall()
            loop_time.uninstall()
        wall = time.perf_counter() - started
        loop_time.recorder_cpu = _thread_cpu_seconds(recorder_thread) - recorder_cpu
        stop.set()
        await watcher
    states = {entry.state for entry in config_entries}
    if states != {ConfigEntryState.LOADED}:
        msg = f"entries not loaded: {states}"
        raise RuntimeError(msg)
    return hass, config_entries, wall, loop_time


def _thread_cpu_seconds(native_id: int | None) -> float:
    """A thread of this process's time on a CPU so far (the kernel's schedstat, in ns)."""
    schedstat = Path(f"/proc/self/task/{native_id}/schedstat").read_text(encoding="ascii")
    return int(schedstat.split()[0]) / 1e9


def _process_cpu_seconds(pid: int) -> float:
    """A process's user and system CPU time so far (``/proc/PID/stat``, in clock ticks)."""
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    user, system = stat[stat.rindex(")") + 2 :].split()[11:13]
    return (int(user) + int(system)) / CLOCK_TICKS_PER_SECOND


def _wait_for_exit(pids: list[int], seconds: float) -> bool:
    """Whether every process in ``pids`` has exited within ``seconds``.

    Checked through ``/proc``: the pool reaps its own worker, and ``Process.join`` from this
    thread then reports a process that has exited as still running (its ``waitpid`` fails).
    """
    deadline = time.monotonic() + seconds
    while True:
        alive = [pid for pid in pids if _running(pid)]
        if not alive:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except FileNotFoundError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"  # a zombie has exited, only not reaped yet


async def _stop(hass: HomeAssistant) -> None:
    context = hass.data.pop("_bench_context")
    await hass.async_stop(force=True)
    await context.__aexit__(None, None, None)


async def run(
    entries: int, days: int, engine: str = "auto", warm_start: str = "restart"
) -> dict[str, Any]:
    """Build or reuse the database, then measure a cold start (training) and a warm start."""
    DATA_DIR.mkdir(exist_ok=True)
    history_end = _history_end()
    database = DATA_DIR / f"entries-bench-{entries}x{days}d-{history_end:%Y%m%d}.db"
    fresh = not database.exists()
    for stale in DATA_DIR.glob(f"entries-bench-{entries}x{days}d*.db"):
        if stale != database:
            stale.unlink()  # a history that ends days ago is no longer the benchmark's
    config = _config_dir(f"entries-config-{entries}x{days}d")
    for saved in (config / ".storage").glob("foresight*"):
        if saved.is_dir():
            for file in saved.iterdir():
                file.unlink()
        else:
            saved.unlink()
    rss_before = _memory_kib("VmRSS")
    cold_lags = Lags()
    cold_collections = _FullCollections()
    cold_control = _ControlLoop()
    hass, config_entries, cold_wall, cold_loop = await _start(
        config,
        database,
        entries,
        cold_lags,
        fill_days=days if fresh else None,
        history_end=history_end,
        training_days=days,
        collections=cold_collections,
        control=cold_control,
        engine=engine,
    )
    trainings = [entry.runtime_data.training.data.trained_at for entry in config_entries]
    engines = {entry.runtime_data.training.data.forecaster.engine for entry in config_entries}
    # An entry serving a baseline trains a fraction as long: say how many fitted a model.
    serving_model = sum(
        not entry.runtime_data.training.data.forecaster.serves_baseline for entry in config_entries
    )
    fits_run_in = training_executor(hass).fits_run_in
    gc.collect()
    rss_trained = _memory_kib("VmRSS")
    children = multiprocessing.active_children()
    child_rss = sum(_memory_kib("VmRSS", child.pid) for child in children if child.pid)
    child_cpu = sum(_process_cpu_seconds(child.pid) for child in children if child.pid)
    # The training process ends once idle: then only Home Assistant's process holds memory.
    pids = [child.pid for child in children if child.pid]
    ended = await asyncio.to_thread(_wait_for_exit, pids, PROCESS_IDLE_SECONDS + 30)
    gc.collect()
    rss_after_process = _memory_kib("VmRSS")
    await _stop(hass)

    warm_lags = Lags()
    warm_collections = _FullCollections()
    warm_control = _ControlLoop()
    hass, config_entries, warm_wall, warm_loop = await _start(
        config,
        database,
        entries,
        warm_lags,
        fill_days=None,
        history_end=history_end,
        training_days=days,
        collections=warm_collections,
        control=warm_control,
        engine=engine,
        restart=warm_start == "restart",
    )
    retrained = sum(
        entry.runtime_data.training.data.trained_at not in trainings for entry in config_entries
    )
    await _stop(hass)
    # Fits run in a child process (ended at each stop): its peak counts too.
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "benchmark": "entries",
        "entries": entries,
        "days_of_hourly_history_each": days,
        "training_days": days,
        "database": "file-backed SQLite" + (" (built this run)" if fresh else " (cached)"),
        "engines": sorted(engines),
        "fits_run_in": fits_run_in,
        "entries_serving_the_model": serving_model,
        "cold_start_train_all_seconds": round(cold_wall, 1),
        "cold_start_loop_busy_seconds": round(cold_loop.busy, 2),
        "cold_start_longest_callback_ms": round(1000 * cold_loop.longest, 1),
        "cold_start_longest_callback": cold_loop.longest_handle,
        "cold_start_longest_callback_cpu_ms": round(1000 * cold_loop.longest_cpu, 1),
        "cold_start_longest_callback_cpu": cold_loop.longest_cpu_handle,
        "cold_start_loop_lag_max_ms": cold_lags.max_ms(),
        "cold_start_loop_lag_max_ms_while_bare_loop_on_time": cold_lags.max_ms_apart_from(
            cold_control.late
        ),
        "cold_start_loop_lags_over_limit": cold_lags.late(LAG_LIMIT),
        "cold_start_recorder_thread_cpu_seconds": round(cold_loop.recorder_cpu, 2),
        "cold_start_loop_lag_p99_ms": round(1000 * float(np.percentile(cold_lags.values, 99)), 1),
        "added_rss_after_training_mib": round((rss_trained - rss_before) / 1024, 1),
        "training_process_rss_after_training_mib": round(child_rss / 1024, 1),
        "training_process_cpu_seconds": round(child_cpu, 1),
        "process_id": os.getpid(),
        "bare_loop_process_ids": [cold_control.pid, warm_control.pid],
        "training_process_ids": pids,
        "training_process_ended_when_idle": ended,
        "added_rss_once_training_process_ended_mib": round(
            (rss_after_process - rss_before) / 1024, 1
        ),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "training_process_peak_rss_mib": round(child_peak / 1024, 1),
        "warm_start_set_up": WARM_START_MODES[warm_start],
        "warm_start_seconds": round(warm_wall, 2),
        "warm_start_loop_ms_per_entry": round(1000 * warm_loop.busy / entries, 1),
        "warm_start_longest_callback_ms": round(1000 * warm_loop.longest, 1),
        "warm_start_longest_callback": warm_loop.longest_handle,
        "warm_start_longest_callback_cpu_ms": round(1000 * warm_loop.longest_cpu, 1),
        "warm_start_longest_callback_cpu": warm_loop.longest_cpu_handle,
        "warm_start_loop_lag_max_ms": warm_lags.max_ms(),
        "warm_start_loop_lag_max_ms_while_bare_loop_on_time": warm_lags.max_ms_apart_from(
            warm_control.late
        ),
        "warm_start_loop_lags_over_limit": warm_lags.late(LAG_LIMIT),
        "warm_start_recorder_thread_cpu_seconds": round(warm_loop.recorder_cpu, 2),
        "warm_start_retrained_entries": retrained,
        "bare_loop_in_another_process_lag_cold_start": cold_control.lag,
        "bare_loop_in_another_process_lag_warm_start": warm_control.lag,
        "cold_start_full_collections": cold_collections.summary(),
        "warm_start_full_collections": warm_collections.summary(),
        "lag_period_ms": 1000 * LAG_PERIOD,
        "lag_samples": len(cold_lags.values) + len(warm_lags.values),
        "median_lag_ms": round(1000 * statistics.median(cold_lags.values + warm_lags.values), 2),
    }


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=20)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--engine", choices=["auto", "numpy", "sklearn"], default="auto")
    parser.add_argument(
        "--warm-start",
        choices=sorted(WARM_START_MODES),
        default="restart",
        help="how the second start sets up the entries (default: as at a restart)",
    )
    args = parser.parse_args()
    result = asyncio.run(run(args.entries, args.days, args.engine, args.warm_start))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
