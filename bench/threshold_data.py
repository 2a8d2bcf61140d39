"""Evaluate threshold-crossing warnings on real sensor series.

Usage::

    python -m bench.threshold_data [--only frost|voltage]

For each case this fetches the real series at run time (:mod:`bench.sensor_datasets`), runs
``python -m bench.threshold`` exactly as documented, and scores its output against what the
series really did:

* a crossing is a row past the limit after at least ``REARM`` on the safe side;
* a crossing is warned when some row in the ``horizon`` before it (after the previous
  crossing) has ``is_warning``; its lead time is the time from the first such row;
* a warning episode (a run of warning rows that starts on the safe side) is false when no
  crossing follows within ``horizon`` of its start;
* ETA: the median absolute difference between ``eta_p50_hours`` and the real time to the
  next crossing, over safe-side rows whose crossing came within ``horizon`` and whose
  ``eta_p50_hours`` was within it too;
* calibration: the mean ``p_cross`` against the share of safe-side rows followed by a
  crossing within ``horizon``, and the Brier score next to that of always forecasting this
  share (known only in hindsight).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
import json
from pathlib import Path
import subprocess
import sys
from typing import Any

import numpy as np
import pandas as pd

from bench.sensor_datasets import SensorSeries, fetch_frost, fetch_voltage

OUT_DIR = Path(__file__).parent / "out"
#: Time on the safe side before a new crossing counts (flapping around the limit is one).
REARM = pd.Timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Case:
    """A benchmark case: series, limit and online period."""

    name: str
    fetch: Callable[[], SensorSeries]
    limit: float
    direction: str
    horizon_hours: float
    train_until: str
    end: str | None = None


CASES = {
    "frost": Case("frost", fetch_frost, 0.0, "below", 12.0, "2001-01-22T00:00-05:00", "2001-04-30"),
    "voltage": Case("voltage", fetch_voltage, 246.0, "above", 2.0, "2007-03-22T00:00+01:00"),
}


def crossings(
    stamps: pd.DatetimeIndex, values: np.ndarray[Any, Any], limit: float, direction: str
) -> list[pd.Timestamp]:
    """Times the series went past the limit after ``REARM`` on the safe side."""
    past = values > limit if direction == "above" else values < limit
    events: list[pd.Timestamp] = []
    safe_since: pd.Timestamp | None = stamps[0] if len(stamps) and not past[0] else None
    for stamp, beyond in zip(stamps, past, strict=True):
        if beyond:
            if safe_since is not None and stamp - safe_since >= REARM:
                events.append(stamp)
            safe_since = None
        elif safe_since is None:
            safe_since = stamp
    return events


def score(out_csv: Path, series: pd.Series, case: Case, start: pd.Timestamp) -> dict[str, Any]:
    """Warned crossings, lead times, false warning episodes and calibration."""
    out = pd.read_csv(out_csv)
    stamps = pd.DatetimeIndex(pd.to_datetime(out["timestamp"], utc=True))
    warn = out["is_warning"].astype(bool).to_numpy()
    p_cross = out["p_cross"].to_numpy(dtype=float)
    values = series.reindex(stamps).to_numpy(dtype=float)
    horizon = pd.Timedelta(hours=case.horizon_hours)
    past = values > case.limit if case.direction == "above" else values < case.limit
    events = [e for e in crossings(stamps, values, case.limit, case.direction) if e >= start]
    leads: list[float] = []
    previous = stamps[0] - horizon
    for event in events:
        window = (stamps >= max(event - horizon, previous)) & (stamps < event) & warn
        if window.any():
            leads.append((event - stamps[window][0]) / pd.Timedelta(hours=1))
        previous = event
    episode = np.cumsum(np.r_[True, warn[1:] != warn[:-1]])
    false_episodes = 0
    episodes = 0
    for number in np.unique(episode[warn]):
        rows = np.flatnonzero(episode == number)
        if past[rows[0]]:
            continue  # already past the limit: not a forecast
        episodes += 1
        begin = stamps[rows[0]]
        if not any(begin <= e <= begin + horizon for e in events):
            false_episodes += 1
    event_times = np.asarray([e.value for e in events], dtype=np.int64)
    stamp_ns = stamps.asi8
    if event_times.size:
        nxt = np.minimum(np.searchsorted(event_times, stamp_ns), event_times.size - 1)
        gap = event_times[nxt] - stamp_ns
        outcome = (~past) & (gap >= 0) & (gap <= horizon.value)
    else:
        gap = np.zeros(len(stamps), dtype=np.int64)
        outcome = np.zeros(len(stamps), dtype=bool)
    eta = pd.to_numeric(out["eta_p50_hours"], errors="coerce").to_numpy(dtype=float)
    timed = outcome & np.isfinite(eta) & (eta <= case.horizon_hours)
    eta_errors = np.abs(eta[timed] - gap[timed] / pd.Timedelta(hours=1).value)
    judged = (~past) & np.isfinite(p_cross)
    days = (stamps[-1] - stamps[0]) / pd.Timedelta(days=1) if len(stamps) else 0.0
    return {
        "crossings": len(events),
        "warned": len(leads),
        "median_lead_hours": round(float(np.median(leads)), 2) if leads else None,
        "eta_p50_median_abs_error_hours": (
            round(float(np.median(eta_errors)), 2) if eta_errors.size else None
        ),
        "eta_rows": int(eta_errors.size),
        "warning_episodes": episodes,
        "false_warning_episodes": false_episodes,
        "days_online": round(days, 1),
        "mean_p_cross_safe_rows": round(float(np.mean(p_cross[judged])), 4),
        "share_safe_rows_crossing_within_horizon": round(float(np.mean(outcome[judged])), 4),
        "brier": round(float(np.mean((p_cross[judged] - outcome[judged]) ** 2)), 4),
        # Reference: always forecasting the (in hindsight) base rate of these rows.
        "brier_base_rate": round(float(np.var(outcome[judged])), 4),
    }


def run_case(case: Case) -> dict[str, Any]:
    """Fetch, run ``bench.threshold`` and score one case."""
    data = case.fetch()
    csv = data.csv
    if case.end is not None:
        table = pd.read_csv(data.csv)
        stamps = pd.to_datetime(table["timestamp"], utc=True)
        csv = data.csv.with_name(f"{data.csv.stem}_{case.name}.csv")
        table[stamps < pd.Timestamp(case.end, tz="UTC")].to_csv(csv, index=False)
    out = OUT_DIR / f"threshold_{case.name}.csv"
    command = [
        sys.executable, "-m", "bench.threshold", "--csv", str(csv),
        "--timestamp-col", "timestamp", "--value-col", "value",
        "--limit", str(case.limit), "--direction", case.direction,
        "--horizon-hours", str(case.horizon_hours), "--train-until", case.train_until,
        "--time-zone", data.time_zone, "--out", str(out),
    ]  # fmt: skip
    done = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603
    table = pd.read_csv(csv)
    series = pd.Series(
        table["value"].to_numpy(dtype=float),
        index=pd.DatetimeIndex(pd.to_datetime(table["timestamp"], utc=True)),
    )
    series = series[~series.index.duplicated()]
    scores = score(out, series, case, pd.Timestamp(case.train_until).tz_convert("UTC"))
    return {
        "case": case.name,
        "source": data.source,
        "command": " ".join(command),
        "run": json.loads(done.stdout),
        "scores": scores,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run every case (or one); print one JSON document per case."""
    parser = argparse.ArgumentParser(description="threshold benchmark on real series")
    parser.add_argument("--only", choices=sorted(CASES))
    args = parser.parse_args(argv)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name, case in CASES.items():
        if args.only and name != args.only:
            continue
        print(json.dumps(run_case(case), indent=2), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
