"""The forecast and anomaly benchmarks on a panel of real households.

Usage::

    python -m bench.panel --houses DIR [--only forecast|anomaly] [--engine numpy sklearn]
        [--sensitivity medium] [--jobs N] [--json FILE]

The issue-level figures come from one house (``bench.forecast --dataset household``,
``bench.anomaly_data --only household``). This asks whether that house is typical: it runs
the same documented commands, unchanged and with default settings, on every house of a panel
prepared by :mod:`bench.panel_data` (``DIR/manifest.json`` and one hourly CSV per house).

Protocol (fixed before any panel result was seen; see docs/benchmarks/panel.md):

* each house's test period is its last 365 local days, or what follows its first year where it
  has less (:mod:`bench.panel_data` decides, at least 180 days); every earlier row is history;
* forecast: ``python -m bench.forecast --csv HOUSE --engine E --time-zone Z --country C
  [--latitude --longitude] --test-start D --out OUT`` for each engine (guard on);
* anomaly: the reported household year's procedure (``bench.anomaly_data``: the same
  injection, seed 5, one event every 5 days, sensitivity medium) with the house's test period
  online;
* panel figures: the median of the houses' skills and the pooled skill
  ``1 - sum(MAE x hours) / sum(best baseline MAE x hours)``; events and false alarms summed.

The held-out set (``bench.panel_data --set holdout``) has half a year of history per house:
run it with ``--only anomaly``.
"""

import argparse
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
import json
import os
from pathlib import Path
import statistics
import subprocess
import sys
from typing import Any

import numpy as np

from bench.anomaly import add_retrain_argument
from bench.anomaly_data import (
    ENERGY_SPACING,
    OUT_DIR,
    SEED,
    energy_case,
    run_detector,
    score_output,
)

WORK_DIR = OUT_DIR / "panel"
TARGETS = {"numpy": 0.08, "sklearn": 0.12}
"""Skill each engine must reach on real household data (issue 4)."""


@dataclass(frozen=True, slots=True)
class House:
    """One house of the panel, as :mod:`bench.panel_data` describes it.

    Attributes:
        house_id: Name of the house (data set and id).
        csv: Hourly CSV: ``timestamp`` (naive local start of the hour), ``energy_kwh``.
        time_zone: Zone of the naive timestamps.
        country: Country for public holidays.
        latitude: Where the panel's homes are (a region's centre), or None.
        longitude: Same.
        test_start: First test day (ISO date): a year of history before it.
        source: Where the data came from.
    """

    house_id: str
    csv: Path
    time_zone: str
    country: str
    latitude: float | None
    longitude: float | None
    test_start: str
    source: str


def load_manifest(directory: Path) -> list[House]:
    """The houses listed in ``directory/manifest.json``."""
    entries = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    return [
        House(
            house_id=entry["id"],
            csv=directory / entry["csv"],
            time_zone=entry["time_zone"],
            country=entry["country"],
            latitude=entry.get("latitude"),
            longitude=entry.get("longitude"),
            test_start=entry["test_start"],
            source=entry["source"],
        )
        for entry in entries
    ]


def run_forecast(house: House, engine: str) -> dict[str, Any]:
    """``python -m bench.forecast`` on one house; its JSON summary."""
    out = WORK_DIR / f"forecast_{house.house_id}_{engine}.csv"
    command = [
        sys.executable, "-m", "bench.forecast", "--csv", str(house.csv),
        "--timestamp-col", "timestamp", "--value-col", "energy_kwh", "--engine", engine,
        "--time-zone", house.time_zone, "--country", house.country,
        "--test-start", house.test_start, "--out", str(out),
    ]  # fmt: skip
    if house.latitude is not None and house.longitude is not None:
        command += ["--latitude", str(house.latitude), "--longitude", str(house.longitude)]
    threads = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run(  # noqa: S603  (our own interpreter and module)
        command, check=True, capture_output=True, text=True, env=os.environ | threads
    )
    summary: dict[str, Any] = json.loads(done.stdout[done.stdout.index("{") :])
    return summary | {"command": " ".join(command)}


def run_anomaly(
    house: House, sensitivity: str = "medium", retrain: str = "daily"
) -> dict[str, Any]:
    """The reported household year's anomaly procedure on one house's test period."""
    case = energy_case(
        f"panel_{house.house_id}_{sensitivity}",
        house.csv,
        "energy_kwh",
        time_zone=house.time_zone,
        test_start=house.test_start,
        source=house.source,
        rng=np.random.default_rng(SEED),
        spacing=ENERGY_SPACING,
    )
    out, command, _ = run_detector(case, sensitivity, retrain=retrain)
    scores = score_output(out, case.events, case.grace)
    return {
        "events": scores.events,
        "detected": scores.detected,
        "false_alarms": scores.false_alarms,
        "weeks": round(scores.weeks, 2),
        "by_kind": scores.by_kind,
        "command": " ".join(command),
    }


def pooled_skill(results: list[dict[str, Any]]) -> float:
    """``1 - sum(MAE x hours) / sum(best baseline MAE x hours)`` over the houses."""
    model = sum(float(r["mae_p50"]) * r["hours_scored"] for r in results)
    best = sum(float(r["baseline_mae"][r["best_baseline"]]) * r["hours_scored"] for r in results)
    return float(1.0 - model / best)


def forecast_summary(engine: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    """Panel figures for one engine."""
    skills = [r["skill_vs_best_baseline"] for r in results]
    coverages = [r["coverage_p10_p90"] for r in results]
    return {
        "engine": engine,
        "houses": len(results),
        "median_skill": round(statistics.median(skills), 4),
        "pooled_skill": round(pooled_skill(results), 4),
        "houses_meeting_target": sum(skill >= TARGETS[engine] for skill in skills),
        "median_coverage": round(statistics.median(coverages), 4),
        "houses_coverage_75_85": sum(0.75 <= c <= 0.85 for c in coverages),
    }


def anomaly_summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Panel figures for the anomaly benchmark: events and false alarms summed."""
    events = sum(r["events"] for r in results)
    detected = sum(r["detected"] for r in results)
    false_alarms = sum(r["false_alarms"] for r in results)
    weeks = sum(r["weeks"] for r in results)
    return {
        "houses": len(results),
        "events": events,
        "detected": detected,
        "recall": round(detected / max(events, 1), 4),
        "false_alarms": false_alarms,
        "false_alarms_per_week": round(false_alarms / max(weeks, 1e-9), 3),
        "houses_meeting_both": sum(
            r["detected"] >= 0.9 * r["events"] and r["false_alarms"] <= 0.5 * r["weeks"]
            for r in results
        ),
    }


def _print_forecast(houses: list[House], engines: Sequence[str], results: dict[str, Any]) -> None:
    print("| house | test from | " + " | ".join(f"{e} skill | {e} coverage" for e in engines))
    print("| --- | --- |" + " --- | --- |" * len(engines))
    for house in houses:
        cells = []
        for engine in engines:
            r = results[engine][house.house_id]
            cells += [f"{r['skill_vs_best_baseline']:.1%}", f"{r['coverage_p10_p90']:.1%}"]
        print(f"| {house.house_id} | {house.test_start} | " + " | ".join(cells))
    for engine in engines:
        summary = forecast_summary(engine, list(results[engine].values()))
        print(json.dumps(summary))


def _print_anomaly(houses: list[House], results: dict[str, dict[str, Any]]) -> None:
    print("| house | events detected | false alarms | weeks | by kind |")
    print("| --- | --- | --- | --- | --- |")
    for house in houses:
        r = results[house.house_id]
        kinds = ", ".join(f"{k} {d}/{t}" for k, (d, t) in sorted(r["by_kind"].items()))
        print(
            f"| {house.house_id} | {r['detected']}/{r['events']} | {r['false_alarms']}"
            f" | {r['weeks']} | {kinds} |"
        )
    print(json.dumps(anomaly_summary(list(results.values()))))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen benchmarks on every house; print tables and panel figures."""
    parser = argparse.ArgumentParser(description="benchmarks on a panel of real households")
    parser.add_argument("--houses", type=Path, required=True, help="bench.panel_data output")
    parser.add_argument("--only", choices=["forecast", "anomaly"])
    parser.add_argument(
        "--engine", nargs="+", choices=sorted(TARGETS), default=["numpy", "sklearn"]
    )
    parser.add_argument("--jobs", type=int, default=1, help="houses run at once")
    parser.add_argument("--sensitivity", default="medium", help="anomaly detector sensitivity")
    add_retrain_argument(parser)
    parser.add_argument("--json", type=Path, help="also write every result to this file")
    args = parser.parse_args(argv)
    houses = load_manifest(args.houses)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"starts": {house.house_id: house.test_start for house in houses}}
    with ThreadPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
        if args.only != "anomaly":
            for engine in args.engine:
                done = pool.map(lambda h, e=engine: run_forecast(h, e), houses)
                results[engine] = dict(zip([h.house_id for h in houses], done, strict=True))
            _print_forecast(houses, args.engine, results)
        if args.only != "forecast":
            done = pool.map(lambda h: run_anomaly(h, args.sensitivity, args.retrain), houses)
            results["anomaly"] = dict(zip([h.house_id for h in houses], done, strict=True))
            _print_anomaly(houses, results["anomaly"])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
