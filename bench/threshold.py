r"""Run a sensor watch over a CSV as it would run online: crossing probability per row.

Usage::

    python -m bench.threshold --csv FILE --timestamp-col COL --value-col COL \
        --limit X --direction above|below --horizon-hours H --train-until ISO \
        --out OUT.csv [--time-zone TZ] [--feature-col COL ...] [--refit-hours 24]

For every row from ``--train-until`` on, a forecast is issued at that row's time from the
rows strictly before it only, and turned into the probability of crossing the limit within
``--horizon-hours`` (:func:`~custom_components.foresight.ml.watch.crossing`). The forecaster
is refitted every ``--refit-hours`` on the rows before the refit time. ``OUT.csv`` has
``timestamp,p_cross,is_warning,eta_p50_hours`` (``eta_p50_hours`` empty when no crossing is
expected within the forecast). Prints a JSON summary. ``python -m bench.threshold_data``
scores the output against what the real series did.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
import json
import math
from pathlib import Path
import statistics
import sys
import time
from typing import Any

import pandas as pd

from custom_components.foresight.ml.watch import (
    NoRecentDataError,
    SensorForecaster,
    ThresholdSettings,
    WatchSettings,
    crossing,
    fit_sensor_forecaster,
)
from custom_components.foresight.ml.watch.forecaster import CONTEXT


def read_frame(
    path: Path, timestamp_col: str, value_col: str, feature_cols: Sequence[str], time_zone: str
) -> pd.DataFrame:
    """Read a CSV into the project's frame (UTC index, ``target`` and feature columns).

    Timestamps with a UTC offset (which may change with daylight saving time) are taken as
    they are; naive ones as local times in ``time_zone`` (ambiguous and non-existent local
    times are dropped).
    """
    table = pd.read_csv(path)
    raw = table[timestamp_col].astype(str)
    if raw.str.contains(r"(?:[+-]\d\d:?\d\d|Z)$", regex=True).all():
        index = pd.DatetimeIndex(pd.to_datetime(raw, utc=True, format="mixed"))
    else:
        index = pd.DatetimeIndex(pd.to_datetime(raw, format="mixed")).tz_localize(
            time_zone, ambiguous="NaT", nonexistent="NaT"
        )
    frame = pd.DataFrame(
        {"target": pd.to_numeric(table[value_col], errors="coerce").to_numpy(dtype=float)},
        index=index.tz_convert("UTC"),
    )
    for column in feature_cols:
        frame[column] = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
    frame = frame[frame.index.notna()]
    return frame[~frame.index.duplicated(keep="first")].sort_index()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description="online threshold-crossing benchmark")
    parser.add_argument("--csv", required=True, type=Path)
    parser.add_argument("--timestamp-col", required=True)
    parser.add_argument("--value-col", required=True)
    parser.add_argument("--feature-col", action="append", default=[])
    parser.add_argument("--limit", required=True, type=float)
    parser.add_argument("--direction", required=True, choices=["above", "below"])
    parser.add_argument("--horizon-hours", required=True, type=float)
    parser.add_argument("--train-until", required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--time-zone", default="UTC", help="zone of naive timestamps")
    parser.add_argument("--refit-hours", type=float, default=24.0)
    parser.add_argument("--warning-probability", type=float, default=0.5)
    return parser.parse_args(argv)


def run_online(
    frame: pd.DataFrame,
    watch: WatchSettings,
    threshold: ThresholdSettings,
    train_until: pd.Timestamp,
    refit_every: pd.Timedelta,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Issue a crossing outlook at every row from ``train_until`` on (earlier rows only).

    Returns:
        The output rows and a summary (refits, timings, what was served).
    """
    index = pd.DatetimeIndex(frame.index)
    online = index[index >= train_until]
    forecaster: SensorForecaster | None = None
    fitted_at: pd.Timestamp | None = None
    fits: list[float] = []
    served: list[str] = []
    forecast_seconds = 0.0
    rows: list[dict[str, Any]] = []
    for moment in online:
        end = int(index.searchsorted(moment, side="left"))
        if forecaster is None or fitted_at is None or moment - fitted_at >= refit_every:
            began = time.perf_counter()
            forecaster = fit_sensor_forecaster(frame.iloc[:end], watch)
            fits.append(time.perf_counter() - began)
            served.append(forecaster.baseline_name if forecaster.serves_baseline else "model")
            fitted_at = moment
        start = int(index.searchsorted(moment - CONTEXT, side="left"))
        began = time.perf_counter()
        try:
            outlook = crossing(forecaster.forecast(frame.iloc[start:end], moment), threshold)
        except NoRecentDataError:
            rows.append({"timestamp": moment, "p_cross": math.nan, "is_warning": False})
            continue
        finally:
            forecast_seconds += time.perf_counter() - began
        rows.append(
            {
                "timestamp": moment,
                "p_cross": round(outlook.probability, 4),
                "is_warning": outlook.warning,
                "eta_p50_hours": (
                    None if outlook.eta_p50_hours is None else round(outlook.eta_p50_hours, 3)
                ),
            }
        )
    out = pd.DataFrame(rows, columns=["timestamp", "p_cross", "is_warning", "eta_p50_hours"])
    summary: dict[str, Any] = {
        "rows": len(out),
        "refits": len(fits),
        "step_minutes": (
            None if forecaster is None else int(forecaster.step / pd.Timedelta(minutes=1))
        ),
        "served": {name: served.count(name) for name in sorted(set(served))},
        "warning_rows": int(out["is_warning"].sum()) if len(out) else 0,
        "fit_seconds_median": round(statistics.median(fits), 4) if fits else None,
        "forecast_ms_mean": round(forecast_seconds / max(len(out), 1) * 1000, 3),
    }
    return out, summary


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print the JSON summary."""
    args = parse_args(argv)
    frame = read_frame(
        args.csv, args.timestamp_col, args.value_col, args.feature_col, args.time_zone
    )
    train_until = pd.Timestamp(args.train_until)
    if train_until.tzinfo is None:
        train_until = train_until.tz_localize(args.time_zone)
    watch = WatchSettings(
        time_zone=args.time_zone,
        horizon_hours=max(1, math.ceil(args.horizon_hours)),
        feature_columns=tuple(args.feature_col),
    )
    threshold = ThresholdSettings(
        limit=args.limit,
        direction=args.direction,
        warning_hours=args.horizon_hours,
        warning_probability=args.warning_probability,
    )
    out, summary = run_online(
        frame,
        watch,
        threshold,
        train_until.tz_convert("UTC"),
        pd.Timedelta(hours=args.refit_hours),
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    written = out.copy()
    written["timestamp"] = [stamp.isoformat() for stamp in written["timestamp"]]
    written.to_csv(args.out, index=False)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
