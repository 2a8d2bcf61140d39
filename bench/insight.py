"""Energy insight against synthetic homes with known truth, and on real data.

Usage::

    python -m bench.insight [--seeds 10] [--real]

For each scenario a synthetic home (``tests/ml/insight_home.py``: known base load, base-load
step, kWh per heating/cooling degree-day and weekday evening peak) is built with each seed and
analysed with :func:`energy_insight`; the JSON gives, per figure, the truth, the mean estimate,
the smallest and largest estimate and the largest error over the seeds. ``synthetic_home``
checks the base load on the project's other synthetic home (:mod:`..ml.synthetic`, whose
heating depends on occupancy, so it does not follow the hour's degree-days uniformly) against
its 250 W base, in a February window and month by month over a year. ``--real`` adds what
the insight says about the UCI household near Paris (no temperature, no truth) and the Sydney
"hotgym" (daily temperatures) at a few dates (data fetched by :mod:`bench.datasets`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
import json
from typing import Any

import numpy as np
import pandas as pd

from bench.datasets import Dataset, fetch_hotgym, fetch_household
from bench.insight_home import cold_then_mild, insight_home
from custom_components.foresight.ml.insight import EnergyInsight, energy_insight
from custom_components.foresight.ml.synthetic import synthetic_home

DAY_KWH_PER_W = 24.0 / 1000.0


def _constant(celsius: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda days: np.full(days.shape, celsius)


@dataclass(frozen=True, slots=True)
class Scenario:
    """A synthetic home and the figures it must give back."""

    name: str
    home: dict[str, Any]
    truth: dict[str, float | str]
    temperature: bool = True
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


SCENARIOS = (
    Scenario(
        "base_step_heated",
        {"step_w": 120.0},
        {
            "base_load_w": 270.0,
            "base_load_month_ago_w": 150.0,
            "base_load_change_w": 120.0,
            "base_load_change_kwh_per_year": 120.0 * 8.76,
            "kwh_per_heating_degree_day": 2.0,
            "trend_kwh_per_day": 120.0 * DAY_KWH_PER_W,
        },
        notes="5 degC mean, 2 kWh/HDD, base 150 W -> 270 W at the start of the last 4 weeks",
    ),
    Scenario(
        "weather_only_cold_then_mild",
        {"daily_mean_c": cold_then_mild},
        {
            "base_load_w": 150.0,
            "base_load_change_w": 0.0,
            "kwh_per_heating_degree_day": 2.0,
            "trend_percent": 0.0,
        },
        notes="1 degC for the earlier 4 weeks, 10 degC for the last 4, same behaviour",
    ),
    Scenario(
        "weather_only_no_temperature",
        {"daily_mean_c": cold_then_mild},
        {"trend_percent": 0.0},
        temperature=False,
        notes="the same home analysed without its temperature column (not weather-normalised)",
    ),
    Scenario(
        "cooling_summer",
        {
            "heating_kwh_per_dd": 0.0,
            "cooling_kwh_per_dd": 1.5,
            "daily_mean_c": _constant(25.0),
            "step_w": -80.0,
        },
        {
            "base_load_w": 70.0,
            "base_load_change_w": -80.0,
            "kwh_per_cooling_degree_day": 1.5,
            "trend_kwh_per_day": -80.0 * DAY_KWH_PER_W,
        },
        notes="25 degC mean, 1.5 kWh/CDD, base 150 W -> 70 W",
    ),
    Scenario(
        "unheated_top_hours",
        {"heating_kwh_per_dd": 0.0},
        {"base_load_w": 150.0, "top_hours_0": "weekdays 18-21"},
        notes="no weather term; evening peak 0.8 kWh/h on weekdays 18:00-21:00",
    ),
    Scenario(
        "gaps_and_spikes",
        {"step_w": 120.0, "gap_fraction": 0.05},
        {
            "base_load_w": 270.0,
            "base_load_change_w": 120.0,
            "kwh_per_heating_degree_day": 2.0,
        },
        notes="5 % of hours missing, 20 spikes of 60 kWh, 10 zeros, 10 negative hours",
        extra={"spikes": True},
    ),
    Scenario(
        "dst_new_york",
        {"heating_kwh_per_dd": 0.0, "time_zone": "America/New_York", "end": "2026-03-20"},
        {"base_load_w": 150.0, "top_hours_0": "weekdays 18-21", "trend_percent": 0.0},
        notes="window spans the 8 March 2026 change to daylight saving time",
    ),
)


def _spoil(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed + 1000)
    rows = rng.choice(len(frame), 40, replace=False)
    target = frame["target"].to_numpy().copy()
    target[rows[:20]] = 60.0
    target[rows[20:30]] = 0.0
    target[rows[30:]] = -5.0
    return frame.assign(target=target)


def _estimate(insight: EnergyInsight, name: str) -> float | str | None:
    if name == "top_hours_0":
        if not insight.top_hours:
            return None
        first = insight.top_hours[0]
        return f"{first.days} {first.start_hour}-{first.end_hour}"
    value = getattr(insight, name)
    return None if value is None else float(value)


def run_scenario(scenario: Scenario, seeds: int) -> dict[str, Any]:
    """Truth against the estimates of every seed."""
    estimates: dict[str, list[float | str | None]] = {name: [] for name in scenario.truth}
    raw_trend: list[float] = []
    for seed in range(seeds):
        frame, truth = insight_home(seed=seed, **scenario.home)
        if scenario.extra.get("spikes"):
            frame = _spoil(frame, seed)
        insight = energy_insight(
            frame,
            time_zone=truth.time_zone,
            now=truth.now,
            temperature_column="outdoor_temp" if scenario.temperature else None,
        )
        for name in scenario.truth:
            estimates[name].append(_estimate(insight, name))
        if insight.raw_trend_percent is not None:
            raw_trend.append(insight.raw_trend_percent)
    figures: dict[str, Any] = {}
    for name, true in scenario.truth.items():
        found = estimates[name]
        if isinstance(true, str):
            figures[name] = {"truth": true, "matches": sum(value == true for value in found)}
            continue
        numbers = [float(value) for value in found if isinstance(value, float)]
        errors = [abs(value - true) for value in numbers]
        figures[name] = {
            "truth": round(true, 3),
            "mean": round(float(np.mean(numbers)), 3) if numbers else None,
            "min": round(min(numbers), 3) if numbers else None,
            "max": round(max(numbers), 3) if numbers else None,
            "max_abs_error": round(max(errors), 3) if errors else None,
            "max_rel_error_percent": (
                round(100.0 * max(errors) / abs(true), 1) if errors and true else None
            ),
            "missing": len(found) - len(numbers),
        }
    result: dict[str, Any] = {"notes": scenario.notes, "seeds": seeds, "figures": figures}
    if raw_trend:
        result["raw_trend_percent_mean"] = round(float(np.mean(raw_trend)), 1)
    return result


SYNTHETIC_BASE_W = 250.0
"""``ml.synthetic.synthetic_home``'s base load (0.25 kWh per hour, +-10 W random walk)."""
NO_HEATING_C = 100.0
"""A yearly mean temperature at which ``synthetic_home`` never heats (same random draws)."""


def _synthetic_home_cases(
    seed: int,
) -> list[tuple[str, pd.DataFrame, pd.DataFrame, str, pd.Timestamp]]:
    """The February window of the issue and the first of each month of a year-long frame.

    Each case has the home and its twin without heating (same seed, same random draws).
    """
    end = pd.Timestamp("2026-03-02", tz="UTC")
    winter, winter_twin = (
        synthetic_home(36, start="2026-01-25", seed=seed, gap_fraction=0.0, mean_temperature_c=c)
        for c in (10.0, NO_HEATING_C)
    )
    cases = [
        (
            "february_35_days",
            winter[winter.index < end],
            winter_twin[winter_twin.index < end],
            "US/Pacific",
            pd.Timestamp("2026-03-02 00:30", tz="UTC"),
        )
    ]
    year, year_twin = (
        synthetic_home(400, start="2025-01-06", seed=seed, mean_temperature_c=c)
        for c in (10.0, NO_HEATING_C)
    )
    cases.extend(
        (f"year {month:%Y-%m}", year, year_twin, "Europe/Berlin", month)
        for month in pd.date_range("2025-03-01", "2026-02-01", freq="MS", tz="Europe/Berlin")
    )
    return cases


def run_synthetic_home(seeds: int) -> dict[str, Any]:
    """Base load on ``ml.synthetic.synthetic_home`` (heating that depends on occupancy).

    Truth: its base load parameter (250 W) and no change; for reference also what the same
    analysis says on the same home without heating (the weather-free 10th percentile).
    """
    per_seed: dict[str, Any] = {}
    rows: list[tuple[str, float | None, float | None, float | None, float | None, bool]] = []
    for seed in range(seeds):
        seed_rows = []
        for name, frame, twin, zone, now in _synthetic_home_cases(seed):
            found = energy_insight(
                frame, time_zone=zone, now=now, temperature_column="outdoor_temp"
            )
            reference = energy_insight(
                twin, time_zone=zone, now=now, temperature_column="outdoor_temp"
            )
            row = (
                name,
                found.base_load_w,
                found.base_load_month_ago_w,
                found.base_load_change_w,
                reference.base_load_w,
                found.base_load_weather_corrected,
            )
            rows.append(row)
            seed_rows.append(row)
        february = seed_rows[0]
        year_bases = [row[1] for row in seed_rows[1:] if row[1] is not None]
        year_changes = [abs(row[3]) for row in seed_rows[1:] if row[3] is not None]
        per_seed[str(seed)] = {
            "february_base_load_w": february[1],
            "february_month_ago_w": february[2],
            "february_change_w": february[3],
            "february_without_heating_w": february[4],
            "year_base_load_w_min_max": [min(year_bases), max(year_bases)] if year_bases else None,
            "year_largest_abs_change_w": max(year_changes) if year_changes else None,
        }
    bases = np.array([value for row in rows for value in row[1:3] if value is not None])
    changes = np.array([row[3] for row in rows if row[3] is not None])
    plain = np.array([row[4] for row in rows if row[4] is not None])
    apart = np.array([row[1] - row[4] for row in rows if row[1] is not None and row[4] is not None])
    return {
        "notes": (
            "ml.synthetic.synthetic_home, heating 0.09 kWh/h per degC below 16 degC x "
            "(0.6 + 0.4 x occupancy): February window (35 days, US/Pacific) and the first "
            "of each month of a year (Europe/Berlin)"
        ),
        "seeds": seeds,
        "windows": len(rows),
        "truth_base_load_w": SYNTHETIC_BASE_W,
        "base_load_w": {
            "mean": round(float(np.mean(bases)), 1),
            "min": round(float(np.min(bases)), 1),
            "max": round(float(np.max(bases)), 1),
            "median_abs_error_percent": round(
                float(np.median(np.abs(bases - SYNTHETIC_BASE_W))) / SYNTHETIC_BASE_W * 100, 1
            ),
            "within_25_percent": int(np.sum(np.abs(bases - SYNTHETIC_BASE_W) <= 62.5)),
            "values": int(bases.size),
            "negative": int(np.sum(bases < 0)),
        },
        "without_heating_base_load_w_mean": round(float(np.mean(plain)), 1),
        "minus_without_heating_w": {
            "mean": round(float(np.mean(apart)), 1),
            "median_abs": round(float(np.median(np.abs(apart))), 1),
            "largest_abs": round(float(np.max(np.abs(apart))), 1),
        },
        "change_w": {
            "truth": 0.0,
            "rms": round(float(np.sqrt(np.mean(changes**2))), 1),
            "largest_abs": round(float(np.max(np.abs(changes))), 1),
        },
        "weather_corrected": sum(row[5] for row in rows),
        "per_seed": per_seed,
    }


def _read(dataset: Dataset) -> pd.DataFrame:
    table = pd.read_csv(dataset.csv, parse_dates=[dataset.timestamp_col])
    local = pd.DatetimeIndex(table[dataset.timestamp_col]).tz_localize(
        dataset.time_zone, ambiguous="NaT", nonexistent="NaT"
    )
    frame = pd.DataFrame({"target": table[dataset.value_col].to_numpy()}, index=local)
    for column in dataset.feature_cols:
        frame[column] = table[column].to_numpy()
    return frame[frame.index.notna()].tz_convert("UTC")


def run_real() -> dict[str, Any]:
    """What the insight says about two real buildings (no truth to compare with)."""
    cases = (
        (fetch_household(), None, ("2007-03-01", "2008-01-15", "2008-09-01", "2009-12-01")),
        (fetch_hotgym(), "temperature_c", ("2010-09-01", "2010-11-01", "2010-12-28")),
    )
    report: dict[str, Any] = {}
    for dataset, temperature, dates in cases:
        frame = _read(dataset)
        for date in dates:
            now = pd.Timestamp(date, tz=dataset.time_zone)
            insight = energy_insight(
                frame, time_zone=dataset.time_zone, now=now, temperature_column=temperature
            )
            data = insight.to_dict()
            data["top_hours"] = [hours["label"] for hours in data["top_hours"]]
            report[f"{dataset.csv.stem} {date}"] = data
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Print truth against estimates (and the real-data insight) as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--real", action="store_true", help="also run on real data")
    args = parser.parse_args(argv)
    report: dict[str, Any] = {
        "synthetic": {scenario.name: run_scenario(scenario, args.seeds) for scenario in SCENARIOS},
        "synthetic_home": run_synthetic_home(args.seeds),
    }
    if args.real:
        report["real"] = run_real()
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
