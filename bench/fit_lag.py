"""Benchmark: does fitting on another thread stall an event loop? ``python -m bench.fit_lag``.

Runs what a training does (forecaster, anomaly detector, insight, saving the model) on two
years of a synthetic home, three times per engine, on a thread and then in a child process
(``--where``; Foresight uses the child process), while an asyncio loop in the main thread
wakes every 5 ms; prints, per run, the loop's late wake-ups over 15 ms and, on the thread, the
stage that was running. No Home Assistant: this isolates Foresight's own work from Home
Assistant's (see docs/benchmarks/entries.md).
"""

import argparse
import asyncio
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
import json
import multiprocessing
import threading
import time
from typing import Any

import pandas as pd

from custom_components.foresight.ml.anomaly import AnomalySettings, fit_energy_detector
from custom_components.foresight.ml.forecast import ForecastSettings, train_forecaster
from custom_components.foresight.ml.forecast.persistence import dumps
from custom_components.foresight.ml.insight import energy_insight
from custom_components.foresight.ml.synthetic import synthetic_home

PERIOD = 0.005
LATE = 0.015
ZONE = "Europe/Berlin"


def _stages(frame: pd.DataFrame, engine: str) -> list[tuple[str, Callable[[], object]]]:
    settings = ForecastSettings(time_zone=ZONE, country="DE", engine=engine)  # type: ignore[arg-type]

    def forecast_and_save() -> object:
        return dumps(train_forecaster(frame, settings), b"k" * 32)

    return [
        ("forecaster", forecast_and_save),
        (
            "detector",
            lambda: fit_energy_detector(frame[["target"]], AnomalySettings(time_zone=ZONE)),
        ),
        (
            "insight",
            lambda: energy_insight(
                frame, time_zone=ZONE, now=frame.index[-1], temperature_column="outdoor_temp"
            ),
        ),
    ]


def _run_stages(frame: pd.DataFrame, engine: str) -> list[object]:
    """All stages in one go (in the child process); the results travel back, as models do."""
    return [run() for _name, run in _stages(frame, engine)]


async def _late_wakeups(
    running: Callable[[], bool], stage: Callable[[], str]
) -> list[tuple[float, str]]:
    """Wake every 5 ms while ``running()``; the wake-ups later than 15 ms, worst first."""
    late: list[tuple[float, str]] = []
    while running():
        before = time.perf_counter()
        await asyncio.sleep(PERIOD)
        lag = time.perf_counter() - before - PERIOD
        if lag > LATE:
            late.append((round(1000 * lag, 1), stage()))
    return sorted(late, reverse=True)


def _summary(
    engine: str, where: str, started: float, late: list[tuple[float, str]]
) -> dict[str, Any]:
    return {
        "engine": engine,
        "where": where,
        "seconds": round(time.perf_counter() - started, 2),
        "late_wakeups_over_15_ms": len(late),
        "worst": late[:5],
    }


async def _watch_process(frame: pd.DataFrame, engine: str) -> dict[str, Any]:
    """The same training in a child process, as Foresight runs it in Home Assistant."""
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    started = time.perf_counter()
    with pool:
        fit = asyncio.get_running_loop().run_in_executor(pool, _run_stages, frame, engine)
        late = await _late_wakeups(lambda: not fit.done(), lambda: "process")
        await fit
    return _summary(engine, "process (start included)", started, late)


async def _watch(frame: pd.DataFrame, engine: str) -> dict[str, Any]:
    stage = {"name": "starting"}
    failures: list[BaseException] = []

    def work() -> None:
        try:
            for name, run in _stages(frame, engine):
                stage["name"] = name
                run()
        except Exception as err:  # noqa: BLE001 - re-raised in the main thread below
            failures.append(err)

    thread = threading.Thread(target=work)
    started = time.perf_counter()
    thread.start()
    late = await _late_wakeups(thread.is_alive, lambda: stage["name"])
    thread.join()
    if failures:
        raise failures[0]
    return _summary(engine, "thread", started, late)


def main() -> None:
    """Command-line entry point: prints one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--where", choices=["thread", "process", "both"], default="both")
    args = parser.parse_args()
    frame = synthetic_home(732, start="2024-10-30", seed=1)
    watchers = {"thread": [_watch], "process": [_watch_process], "both": [_watch, _watch_process]}
    runs = [
        asyncio.run(watch(frame, engine))
        for watch in watchers[args.where]
        for engine in ("sklearn", "numpy")
        for _ in range(args.runs)
    ]
    print(json.dumps({"benchmark": "fit_lag", "hours": len(frame), "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
