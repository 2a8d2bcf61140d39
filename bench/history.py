"""Benchmark: read and clean 2 years of hourly statistics for 10 entities.

Run with ``python -m bench.history``. It builds (once, cached under bench/data/) a file-backed
SQLite recorder database holding two years of hourly long-term statistics for one energy meter
and nine measurements, then times ``async_read_history`` for all ten, measures the peak resident
memory the read adds, and the event loop's lag while it runs (a 5 ms periodic callback that
records how late it wakes up). Prints a JSON summary.

By default the harness runs one ``gc.collect()`` after start-up, as any Home Assistant that has
been running for a minute has done: otherwise the first read pays for a full collection of
everything start-up allocated (``--no-settle`` shows that case).
"""

import argparse
import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
import gc
import json
import os
from pathlib import Path
import statistics
import time
from typing import Any

from homeassistant.components.recorder.const import DOMAIN as RECORDER_DOMAIN
from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import async_initialize_recorder, get_instance
from homeassistant.setup import async_setup_component
import numpy as np
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    async_test_home_assistant,
)

from custom_components.foresight.history import EntitySpec, HistoryRequest, async_read_history

DATA_DIR = Path(__file__).parent / "data"
END = datetime(2026, 11, 1, tzinfo=UTC)
METER = EntitySpec("sensor.bench_energy", cumulative=True, decrease_is_reset=True, unit="kWh")
MEASUREMENTS = tuple(EntitySpec(f"sensor.bench_measure_{i}", unit="°C") for i in range(9))
LAG_PERIOD = 0.005
CLOCK_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def _hourly_starts(hours: int) -> list[datetime]:
    start = END - timedelta(hours=hours)
    return [start + timedelta(hours=i) for i in range(hours)]


async def _fill_database(hass: HomeAssistant, hours: int) -> None:
    rng = np.random.default_rng(7)
    starts = _hourly_starts(hours + 1)
    meter_sum = np.cumsum(rng.gamma(2.0, 0.25, hours + 1))
    async_import_statistics(
        hass,
        StatisticMetaData(
            mean_type=StatisticMeanType.NONE,
            has_sum=True,
            name=None,
            source="recorder",
            statistic_id=METER.entity_id,
            unit_class="energy",
            unit_of_measurement="kWh",
        ),
        [StatisticData(start=s, state=v, sum=v) for s, v in zip(starts, meter_sum, strict=True)],
    )
    for spec in MEASUREMENTS:
        means = 10 + 8 * np.sin(np.arange(hours + 1) / 24 * 2 * np.pi) + rng.normal(0, 1, hours + 1)
        async_import_statistics(
            hass,
            StatisticMetaData(
                mean_type=StatisticMeanType.ARITHMETIC,
                has_sum=False,
                name=None,
                source="recorder",
                statistic_id=spec.entity_id,
                unit_class="temperature",
                unit_of_measurement="°C",
            ),
            [
                StatisticData(start=s, mean=v, min=v, max=v)
                for s, v in zip(starts, means, strict=True)
            ],
        )
    await hass.async_block_till_done()
    await hass.async_add_executor_job(get_instance(hass).block_till_done)


def _memory_kib(field: str, pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)  # pragma: no cover


@contextmanager
def _peak_added_memory(result: dict[str, float]) -> Iterator[None]:
    """Peak resident memory added inside the block (Linux: resets the high-water mark)."""
    Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    before = _memory_kib("VmRSS")
    yield
    result["peak_added_mib"] = round((_memory_kib("VmHWM") - before) / 1024, 1)


class Lags:
    """The event loop's lag samples, each with its window on the monotonic clock.

    For each window it also records where the loop thread's time went, from the kernel's
    accounting: time on a CPU (running callbacks, garbage collection), time runnable but
    waiting for a CPU (other threads or processes had both cores), and the machine's steal
    time (the host ran something else on our virtual CPUs). What is left of a late wake-up is
    time the thread was neither running nor runnable: waiting for the GIL or a lock, or stolen
    while it was running (the kernel does not count stolen time as run time).
    """

    def __init__(self) -> None:
        """Start with no samples."""
        self.values: list[float] = []
        self.windows: list[tuple[float, float]] = []
        self.on_cpu: list[float] = []
        self.waiting_for_cpu: list[float] = []
        self.machine_steal: list[float] = []

    async def watch(self, stop: asyncio.Event) -> None:
        """Sample the lag every LAG_PERIOD until ``stop`` is set."""
        # Opened here, on the loop's thread: /proc/thread-self is the thread that opens it.
        # Reading a held descriptor takes a few microseconds (pread at offset 0).
        schedstat = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
        stat = os.open("/proc/stat", os.O_RDONLY)
        try:
            while not stop.is_set():
                run, wait = _thread_times(schedstat)
                steal = _steal_seconds(stat)
                started = time.perf_counter()
                await asyncio.sleep(LAG_PERIOD)
                ended = time.perf_counter()
                run_after, wait_after = _thread_times(schedstat)
                self.values.append(ended - started - LAG_PERIOD)
                self.windows.append((started, ended))
                self.on_cpu.append(run_after - run)
                self.waiting_for_cpu.append(wait_after - wait)
                self.machine_steal.append(_steal_seconds(stat) - steal)
        finally:
            os.close(schedstat)
            os.close(stat)

    def late(self, threshold: float) -> list[dict[str, float]]:
        """Each lag over ``threshold`` seconds and where its window's time went, in ms."""
        return [
            {
                "lag_ms": round(1000 * lag, 1),
                # On the monotonic clock, as perf's timestamps (bench.lag_blame reads both).
                "window_start_s": round(start, 6),
                "window_ms": round(1000 * (end - start), 1),
                "loop_thread_on_cpu_ms": round(1000 * run, 1),
                "loop_thread_waiting_for_cpu_ms": round(1000 * wait, 1),
                "loop_thread_neither_ms": round(1000 * (end - start - run - wait), 1),
                "machine_steal_ms_all_cpus": round(1000 * steal, 1),
            }
            for lag, (start, end), run, wait, steal in zip(
                self.values,
                self.windows,
                self.on_cpu,
                self.waiting_for_cpu,
                self.machine_steal,
                strict=True,
            )
            if lag > threshold
        ]

    def max_ms(self) -> float:
        """Largest lag in milliseconds."""
        return round(1000 * max(self.values), 1)

    def max_ms_apart_from(self, late: list[tuple[float, float]]) -> float:
        """Largest lag whose window overlaps none of the bare loop's late wake-ups."""
        alone = [
            lag
            for lag, (start, end) in zip(self.values, self.windows, strict=True)
            if not any(start < other_end and other_start < end for other_start, other_end in late)
        ]
        return round(1000 * max(alone, default=0.0), 1)


def _thread_times(schedstat: int) -> tuple[float, float]:
    """The thread's time on a CPU and time runnable but waiting for one, in seconds."""
    run, wait, _ = os.pread(schedstat, 128, 0).split()
    return int(run) / 1e9, int(wait) / 1e9


def _steal_seconds(stat: int) -> float:
    """The machine's steal time summed over its CPUs (``/proc/stat``, in clock ticks)."""
    fields = os.pread(stat, 256, 0).split(b"\n", 1)[0].split()
    return int(fields[8]) / CLOCK_TICKS_PER_SECOND


async def run(hours: int, repeats: int, *, settle: bool) -> dict[str, Any]:
    """Build or reuse the database, then measure the reads."""
    DATA_DIR.mkdir(exist_ok=True)
    database = DATA_DIR / f"history-bench-{hours}h.db"
    fresh = not database.exists()
    async with async_test_home_assistant(config_dir=str(DATA_DIR)) as hass:
        async_initialize_recorder(hass)
        await async_setup_component(
            hass,
            RECORDER_DOMAIN,
            {RECORDER_DOMAIN: {"db_url": f"sqlite:///{database}", "commit_interval": 0}},
        )
        await get_instance(hass).async_db_ready
        if fresh:
            await _fill_database(hass, hours)
        if settle:
            gc.collect()
        request = HistoryRequest(
            target=METER,
            start=END - timedelta(hours=hours),
            end=END,
            features=MEASUREMENTS,
        )
        walls: list[float] = []
        lags = Lags()
        memory: dict[str, float] = {}
        for attempt in range(repeats):
            stop = asyncio.Event()
            watcher = asyncio.create_task(lags.watch(stop))
            await asyncio.sleep(LAG_PERIOD * 2)
            started = time.perf_counter()
            if attempt == 0:
                with _peak_added_memory(memory):
                    result = await async_read_history(hass, request)
            else:
                result = await async_read_history(hass, request)
            walls.append(time.perf_counter() - started)
            stop.set()
            await watcher
        await hass.async_stop(force=True)
    return {
        "benchmark": "history",
        "entities": 1 + len(MEASUREMENTS),
        "hours_per_entity": hours,
        "rows_read": len(result.frame) * (1 + len(MEASUREMENTS)),
        "usable_hours": result.quality.hours_usable,
        "database": "file-backed SQLite" + (" (built this run)" if fresh else " (cached)"),
        "wall_seconds_first": round(walls[0], 3),
        "wall_seconds_median": round(statistics.median(walls), 3),
        "wall_seconds_max": round(max(walls), 3),
        "repeats": repeats,
        "settled_after_startup": settle,
        "peak_added_memory_mib_first_read": memory["peak_added_mib"],
        "loop_lag_max_ms": lags.max_ms(),
        "loop_lag_p99_ms": round(1000 * float(np.percentile(lags.values, 99)), 1),
        "loop_lag_samples": len(lags.values),
    }


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=int, default=2 * 8760, help="hours per entity")
    parser.add_argument("--repeats", type=int, default=5, help="timed reads")
    parser.add_argument(
        "--no-settle", action="store_true", help="skip the gc.collect() after start-up"
    )
    args = parser.parse_args()
    result = asyncio.run(run(args.hours, args.repeats, settle=not args.no_settle))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
