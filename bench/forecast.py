r"""Day-ahead forecast benchmark and speed benchmark.

Accuracy (rolling origin, the issue's protocol)::

    python -m bench.forecast --csv FILE --timestamp-col COL --value-col COL \\
        [--feature-col COL ...] [--engine auto|sklearn|numpy] [--time-zone TZ] \\
        [--country CC] --test-start ISO_DATE [--test-end ISO_DATE] --out OUT.csv
    python -m bench.forecast --dataset household --out bench/out/household.csv

For every day from ``--test-start`` to the end of the data a forecast is issued at local
00:00 for that day's hours, from rows before 00:00 only; the forecaster is refitted at most
every 7 days, on rows before the issue time only. Prints a JSON summary.

Speed (synthetic 2-year home, 17,520 hours, 6 feature groups, one thread)::

    python -m bench.forecast --speed
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
import importlib
import json
import multiprocessing
from pathlib import Path
import statistics
import time
import tracemalloc
from typing import Any

import numpy as np
import pandas as pd

from bench.datasets import DATASETS
from custom_components.foresight.ml.forecast import (
    BASELINE_NAMES,
    Forecaster,
    ForecastSettings,
    train_forecaster,
)
from custom_components.foresight.ml.forecast.engines import create_engine, resolve_engine
from custom_components.foresight.ml.forecast.features import (
    DAY_HOURS,
    LOOKBACK_HOURS,
    FeatureLayout,
    build_features,
    fill_values,
    make_layout,
)
from custom_components.foresight.ml.forecast.grid import build_grid
from custom_components.foresight.ml.forecast.settings import EngineChoice
from custom_components.foresight.ml.synthetic import synthetic_home

REFIT_DAYS = 7


@contextmanager
def one_thread() -> Iterator[None]:
    """Run BLAS and OpenMP on one core, as in Home Assistant's executor."""
    try:
        threadpoolctl = importlib.import_module("threadpoolctl")
    except ImportError:
        yield
        return
    with threadpoolctl.threadpool_limits(limits=1):
        yield


def load_csv(
    path: Path, timestamp_col: str, value_col: str, feature_cols: Sequence[str], time_zone: str
) -> pd.DataFrame:
    """Read a CSV into the project's frame convention (UTC hourly index, ``target``).

    Naive timestamps are local time in ``time_zone``; ambiguous and non-existent local hours
    (daylight saving changes) are dropped as gaps rather than guessed.
    """
    table = pd.read_csv(path)
    stamps = pd.to_datetime(table[timestamp_col], format="ISO8601", utc=False)
    if getattr(stamps.dt, "tz", None) is None:
        local = stamps.dt.tz_localize(time_zone, ambiguous="NaT", nonexistent="NaT")
    else:
        local = pd.to_datetime(table[timestamp_col], format="ISO8601", utc=True)
    frame = pd.DataFrame({"target": pd.to_numeric(table[value_col], errors="coerce")})
    for column in feature_cols:
        frame[column] = pd.to_numeric(table[column], errors="coerce")
    frame.index = pd.DatetimeIndex(local).tz_convert("UTC")
    frame = frame[frame.index.notna()]
    return frame.groupby(level=0).mean().sort_index()


def _local_day_start(date: pd.Timestamp, zone: str) -> pd.Timestamp:
    """The local start of a naive calendar date in ``zone``, also on DST-change days."""
    return date.tz_localize(zone, ambiguous=False, nonexistent="shift_forward")


def run_protocol(
    frame: pd.DataFrame,
    settings: ForecastSettings,
    test_start: str,
    *,
    oracle_features: bool = False,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Day-ahead rolling-origin evaluation.

    Args:
        frame: Whole data set in the frame convention.
        settings: Forecaster settings.
        test_start: First local test day (ISO date).
        oracle_features: Pass the observed exogenous values of the day as its forecast
            (an upper bound); by default the last value known at issue time is carried.

    Returns:
        Per-hour forecasts (with actual and baselines) and the JSON summary.
    """
    zone = settings.time_zone
    last_date = frame.index[-1].tz_convert(zone).tz_localize(None).normalize()
    # Naive calendar dates, localised one by one: a fixed 24 h step drifts across DST. Where
    # the clocks skip midnight (America/Santiago, 2024-09-08) the day starts at the first
    # local time that exists; where midnight repeats, at the second one (as
    # ``ml.anomaly.expected._local_midnight`` does).
    days = [
        _local_day_start(date, zone) for date in pd.date_range(pd.Timestamp(test_start), last_date)
    ]
    rows: list[pd.DataFrame] = []
    fit_seconds: list[float] = []
    predict_seconds: list[float] = []
    served_baseline_days = 0
    forecaster: Forecaster | None = None
    fitted_at: pd.Timestamp | None = None
    for day in days:
        issue = day.tz_convert("UTC")
        end = _local_day_start(day.tz_localize(None).normalize() + pd.Timedelta(days=1), zone)
        end = end.tz_convert("UTC")
        hours = int((end - issue) / pd.Timedelta(hours=1))
        history = frame[frame.index < issue]
        if (
            forecaster is None
            or fitted_at is None
            or issue - fitted_at >= pd.Timedelta(days=REFIT_DAYS)
        ):
            started = time.perf_counter()
            forecaster = train_forecaster(history, settings)
            fit_seconds.append(time.perf_counter() - started)
            fitted_at = issue
        future = None
        if oracle_features and settings.feature_columns:
            future = frame.loc[
                (frame.index >= issue) & (frame.index < end), list(settings.feature_columns)
            ]
        started = time.perf_counter()
        forecast = forecaster.predict(
            history.iloc[-LOOKBACK_HOURS:], issue, future_features=future, hours=hours
        )
        predict_seconds.append(time.perf_counter() - started)
        served_baseline_days += forecaster.serves_baseline
        part = pd.DataFrame(
            {"p10": forecast.p10, "p50": forecast.p50, "p90": forecast.p90}
            | {name: forecast.baselines[name] for name in BASELINE_NAMES},
            index=forecast.timestamps,
        )
        part["actual"] = frame["target"].reindex(forecast.timestamps).to_numpy()
        rows.append(part)
    result = pd.concat(rows)
    return result, summarise(
        result,
        fit_seconds=fit_seconds,
        predict_seconds=predict_seconds,
        served_baseline_days=served_baseline_days,
        days=len(days),
        settings=settings,
    )


def summarise(
    result: pd.DataFrame,
    *,
    fit_seconds: list[float],
    predict_seconds: list[float],
    served_baseline_days: int,
    days: int,
    settings: ForecastSettings,
) -> dict[str, Any]:
    """JSON summary of a protocol run: errors on hours with a known actual value."""
    scored = result[result["actual"].notna()]
    actual = scored["actual"].to_numpy()
    mae = float(np.mean(np.abs(actual - scored["p50"].to_numpy())))
    baseline_mae = {
        name: float(np.mean(np.abs(actual - scored[name].to_numpy()))) for name in BASELINE_NAMES
    }
    best = min(baseline_mae, key=lambda name: baseline_mae[name])
    inside = (actual >= scored["p10"].to_numpy()) & (actual <= scored["p90"].to_numpy())
    return {
        "engine": resolve_engine(settings.engine),
        "days": days,
        "hours_scored": len(scored),
        "mae_p50": round(mae, 5),
        "coverage_p10_p90": round(float(inside.mean()), 4),
        "baseline_mae": {name: round(value, 5) for name, value in baseline_mae.items()},
        "best_baseline": best,
        "skill_vs_best_baseline": round(1.0 - mae / baseline_mae[best], 4),
        "refits": len(fit_seconds),
        "median_fit_seconds": round(statistics.median(fit_seconds), 3),
        "median_predict_ms": round(1000 * statistics.median(predict_seconds), 2),
        "days_serving_baseline": served_baseline_days,
    }


def _fit_inputs(
    engine_name: EngineChoice,
) -> tuple[ForecastSettings, pd.DataFrame, FeatureLayout, np.ndarray, np.ndarray]:
    """The speed benchmark's home (2 years, 6 feature groups) as a feature matrix."""
    frame = synthetic_home(730, seed=7, gap_fraction=0.0)
    features = ("outdoor_temp", "occupancy")
    settings = ForecastSettings(
        time_zone="Europe/Berlin",
        country="DE",
        engine=engine_name,
        feature_columns=features,
        latitude=52.52,
        longitude=13.40,
        # Always the model: the timings are the model's forecast and explanation. (Its
        # occupancy is not known in advance, so its backtest prefers a baseline.)
        min_skill=-1.0,
    )
    grid = build_grid(frame, features)
    layout = make_layout(features, with_holidays=True, with_season=True, with_daylight=True)
    rows = np.arange(DAY_HOURS, len(grid), dtype=np.int64)
    matrix = build_features(
        grid,
        rows,
        np.full(len(rows), DAY_HOURS, dtype=np.int64),
        layout,
        fill_values(grid, len(grid)),
        time_zone=settings.time_zone,
        country=settings.country,
        location=settings.location,
    )
    return settings, frame, layout, matrix, grid.target[rows]


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def fit_peak_rss_mb(engine_name: EngineChoice) -> float:
    """Peak resident memory added by one fit (Linux; run in a fresh process).

    The kernel's high-water mark is reset right before the fit (``clear_refs``), so the
    figure covers everything the fit allocates, including C allocations that tracemalloc
    does not see. scikit-learn is imported before the reset (see :func:`import_rss_mb`).
    """
    _, _, layout, matrix, target = _fit_inputs(engine_name)
    engine = create_engine(engine_name)
    if resolve_engine(engine_name) == "sklearn":
        # The engine imports scikit-learn inside ``fit`` (about 80 MB of RSS, once per
        # process); import it before the reset so that the figure is the fit's own memory.
        importlib.import_module("sklearn.ensemble")
    Path("/proc/self/clear_refs").write_text("5", encoding="utf-8")
    before = _status_kb("VmRSS")
    with one_thread():
        engine.fit(matrix, target, layout)
    return round((_status_kb("VmHWM") - before) / 1024, 1)


def import_rss_mb() -> float:
    """Resident memory added by importing scikit-learn's boosting (run in a fresh process)."""
    before = _status_kb("VmRSS")
    importlib.import_module("sklearn.ensemble")
    return round((_status_kb("VmRSS") - before) / 1024, 1)


def speed(
    engines: Sequence[EngineChoice], repeats: int = 5, *, measure_rss: bool = True
) -> dict[str, Any]:
    """Fit and predict timings on a synthetic 2-year home with 6 feature groups."""
    results: dict[str, Any] = {}
    for engine_name in engines:
        settings, frame, layout, matrix, target = _fit_inputs(engine_name)
        results["rows"] = len(frame)
        # CPU time next to wall time: on a shared machine the wall clock also counts the
        # time other processes held the core; the engines run on one thread.
        fits, fit_cpu = [], []
        for _ in range(repeats):
            engine = create_engine(engine_name)
            started, started_cpu = time.perf_counter(), time.process_time()
            engine.fit(matrix, target, layout)
            fits.append(time.perf_counter() - started)
            fit_cpu.append(time.process_time() - started_cpu)
        tracemalloc.start()
        create_engine(engine_name).fit(matrix, target, layout)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss = None
        if measure_rss:  # in a fresh process, so that earlier peaks do not hide this one
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
                rss = pool.submit(fit_peak_rss_mb, engine_name).result()
            if resolve_engine(engine_name) == "sklearn":
                with ProcessPoolExecutor(
                    1, mp_context=multiprocessing.get_context("spawn")
                ) as pool:
                    results["sklearn_import_rss_mb"] = pool.submit(import_rss_mb).result()
        started = time.perf_counter()
        forecaster = train_forecaster(frame, settings)
        train_seconds = time.perf_counter() - started
        issue = frame.index[-1] + pd.Timedelta(hours=1)
        history = frame.iloc[-LOOKBACK_HOURS:]
        predicts, explains, explains_cpu = [], [], []
        for _ in range(max(repeats * 10, 20)):
            started, started_cpu = time.perf_counter(), time.process_time()
            forecast = forecaster.predict(history, issue, hours=24)
            predicted = time.perf_counter()
            sentences = [forecast.explain(index, "kWh") for index in range(24)]
            predicts.append(predicted - started)
            explains.append(time.perf_counter() - started)
            explains_cpu.append(time.process_time() - started_cpu)
        results[engine_name] = {
            "feature_groups": len(layout.groups),
            "fit_seconds_median": round(statistics.median(fits), 4),
            "fit_cpu_seconds_median": round(statistics.median(fit_cpu), 4),
            "train_forecaster_seconds": round(train_seconds, 3),
            "predict_24h_with_contributions_ms_median": round(
                1000 * statistics.median(predicts), 2
            ),
            "predict_24h_plus_24_sentences_ms_median": round(1000 * statistics.median(explains), 2),
            "predict_24h_plus_24_sentences_cpu_ms_median": round(
                1000 * statistics.median(explains_cpu), 2
            ),
            "peak_fit_memory_mb_tracemalloc": round(peak / 2**20, 1),
            "peak_fit_memory_mb_rss": rss,
            "example": sentences[18],
        }
    return results


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--csv", type=Path)
    parser.add_argument("--timestamp-col")
    parser.add_argument("--value-col")
    parser.add_argument("--feature-col", action="append", default=[])
    parser.add_argument("--engine", choices=("auto", "sklearn", "numpy"), default="auto")
    parser.add_argument("--time-zone", default=None, help="zone of naive timestamps (UTC)")
    parser.add_argument("--country", default=None, help="country code for public holidays")
    parser.add_argument("--latitude", type=float, default=None, help="home latitude (degrees)")
    parser.add_argument("--longitude", type=float, default=None, help="home longitude (degrees)")
    parser.add_argument("--test-start", help="first test day, ISO date")
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--test-end",
        default=None,
        help="last test day, ISO date (default: the end of the data); later rows are dropped",
    )
    parser.add_argument("--dataset", choices=sorted(DATASETS), help="fetch public data and use it")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument(
        "--oracle-features", action="store_true", help="observed features as forecast"
    )
    parser.add_argument("--speed", action="store_true", help="run the speed benchmark")
    parser.add_argument(
        "--min-skill",
        type=float,
        default=0.0,
        help="backtest skill the model needs to be served (default 0; -1 always serves it)",
    )
    parser.add_argument(
        "--backtest-days",
        type=int,
        default=None,
        help="days of the forecaster's internal backtest (default: the settings' default)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = _parser()
    args = parser.parse_args(argv)
    with one_thread():
        if args.speed:
            engines: tuple[EngineChoice, ...] = (
                ("numpy", "sklearn") if args.engine == "auto" else (args.engine,)
            )
            print(json.dumps(speed(engines), indent=2))
            return 0
        if args.dataset:
            fetch = DATASETS[args.dataset]
            dataset = fetch(args.data_dir) if args.data_dir else fetch()
            args.csv = args.csv or dataset.csv
            args.timestamp_col = args.timestamp_col or dataset.timestamp_col
            args.value_col = args.value_col or dataset.value_col
            args.feature_col = args.feature_col or list(dataset.feature_cols)
            args.time_zone = args.time_zone or dataset.time_zone
            args.country = args.country or dataset.country
            args.test_start = args.test_start or dataset.test_start
            if args.latitude is None and args.longitude is None:
                args.latitude, args.longitude = dataset.latitude, dataset.longitude
        if not (
            args.csv and args.timestamp_col and args.value_col and args.test_start and args.out
        ):
            parser.error("--csv, --timestamp-col, --value-col, --test-start and --out are required")
        time_zone = args.time_zone or "UTC"
        frame = load_csv(args.csv, args.timestamp_col, args.value_col, args.feature_col, time_zone)
        if args.test_end:
            end = _local_day_start(pd.Timestamp(args.test_end) + pd.Timedelta(days=1), time_zone)
            frame = frame[frame.index < end.tz_convert("UTC")]
        settings = ForecastSettings(
            time_zone=time_zone,
            country=args.country,
            engine=args.engine,
            feature_columns=tuple(args.feature_col),
            min_skill=args.min_skill,
            latitude=args.latitude,
            longitude=args.longitude,
            # Observed values given as the forecast: the backtest reads them the same way.
            forecast_columns=tuple(args.feature_col) if args.oracle_features else (),
            **({"backtest_days": args.backtest_days} if args.backtest_days else {}),
        )
        result, summary = run_protocol(
            frame, settings, args.test_start, oracle_features=args.oracle_features
        )
        args.out.parent.mkdir(parents=True, exist_ok=True)
        out = result[["p10", "p50", "p90"]].round(5)
        out.index.name = "timestamp"
        out.to_csv(args.out, date_format="%Y-%m-%dT%H:%M:%S%z")
        print(json.dumps(summary | {"csv": str(args.csv), "out": str(args.out)}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
