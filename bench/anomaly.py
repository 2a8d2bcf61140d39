"""Run the anomaly detectors over a CSV as they would run online.

Usage::

    python -m bench.anomaly --csv FILE --timestamp-col COL --value-col COL
        [--feature-col COL ...] --train-until ISO_DATETIME --out OUT.csv

Rows before ``--train-until`` fit the detector; every later row is then fed one at a time, so
each verdict uses only that row and earlier ones. Labels are never read here: see
``python -m bench.anomaly_data`` for the evaluation with injected anomalies.

With ``--expected forecast`` (energy only) the detector judges each hour against the forecast
engine's band instead of its own hour-of-week profile; ``--expected both`` against the range
between the two medians. A forecast is issued at every local midnight from the rows before
it, and the forecaster is retrained every ``--refit-days`` on the rows before the retraining
time (:class:`RollingExpectations`); hours the detector flags are excluded from what it
learns afterwards. The bands over the last year of the training rows (at most half of them)
calibrate the thresholds. Nothing a forecast uses lies at or after its issue time.

By default (``--retrain daily``) the detector lives as in Home Assistant: it is fitted on
the last ``--retrain-days`` days of rows (the integration's training history, 365 days) and
retrained every day at 03:00 local time on the days before; ``continue_detector`` decides
whether the retrained detector replaces the one in use (only once the history is twice the
span it learnt from) and hands the online state over. ``--retrain never`` fits once on
every row before ``--train-until``.
"""

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
import math
from pathlib import Path
import sys
import time

import pandas as pd

from custom_components.foresight.ml.anomaly import (
    AnomalySettings,
    AnomalyStatus,
    EnergyAnomalyDetector,
    SensorAnomalyDetector,
    continue_detector,
    fit_energy_detector,
    fit_sensor_detector,
)
from custom_components.foresight.ml.anomaly.expected import (
    BandForecaster,
    RollingExpectations,
    RollingPlan,
    rolling_expectations,
)
from custom_components.foresight.ml.forecast import ForecastSettings, train_forecaster

HOURLY_SECONDS = 3600.0
type Trainer = Callable[[pd.DataFrame], BandForecaster]
RETRAIN_HOUR = 3
"""Home Assistant retrains at 03:17 local time on the hours before 03:00 (the default)."""
CALIBRATION_SPAN = pd.Timedelta(days=364)
"""Most training history replayed with forecast bands to learn the thresholds."""


@dataclass(frozen=True, slots=True)
class RunTimes:
    """Wall-clock figures of one run (shown by the benchmark, never asserted in tests).

    Attributes:
        kind: ``energy`` or ``sensor``.
        fit_seconds: Time to fit on the training rows.
        rows: Rows scored online.
        score_ms: Mean time to score one row.
    """

    kind: str
    fit_seconds: float
    rows: int
    score_ms: float


def read_frame(
    path: Path,
    timestamp_col: str,
    value_col: str,
    feature_cols: Sequence[str],
    time_zone: str,
) -> pd.DataFrame:
    """Read a CSV into the project's input frame (UTC index, ``target`` and features).

    Naive timestamps are taken as local times in ``time_zone``.
    """
    raw = pd.read_csv(path)
    stamps = pd.to_datetime(raw[timestamp_col], utc=False, format="mixed")
    index = pd.DatetimeIndex(stamps)
    if index.tz is None:
        index = index.tz_localize(time_zone, ambiguous="NaT", nonexistent="NaT")
    frame = pd.DataFrame(
        {"target": pd.to_numeric(raw[value_col], errors="coerce").to_numpy()},
        index=index.tz_convert("UTC"),
    )
    for column in feature_cols:
        frame[column] = pd.to_numeric(raw[column], errors="coerce").to_numpy()
    frame = frame[frame.index.notna()]
    return frame[~frame.index.duplicated(keep="first")].sort_index()


def choose_kind(frame: pd.DataFrame, requested: str) -> str:
    """Energy for a single hourly series, sensor for anything else (unless requested)."""
    if requested != "auto":
        return requested
    steps = frame.index.to_series().diff().dt.total_seconds().dropna()
    hourly = not steps.empty and math.isclose(float(steps.median()), HOURLY_SECONDS)
    return "energy" if hourly and frame.shape[1] == 1 else "sensor"


def forecast_plan(time_zone: str, refit_days: float) -> tuple[Trainer, RollingPlan]:
    """The forecaster (NumPy engine, deterministic) and its retraining cadence."""
    settings = ForecastSettings(time_zone=time_zone, engine="numpy")

    def train(rows: pd.DataFrame) -> BandForecaster:
        return train_forecaster(rows, settings)

    return train, RollingPlan(time_zone=time_zone, refit_every=pd.Timedelta(days=refit_days))


def calibration_bands(
    train: pd.DataFrame, train_until: pd.Timestamp, trainer: Trainer, plan: RollingPlan
) -> pd.DataFrame:
    """Forecast bands over the last year of the training rows (at most half of them)."""
    span = min(CALIBRATION_SPAN, (train_until - train.index[0]) / 2)
    return rolling_expectations(train, (train_until - span).floor("h"), train_until, trainer, plan)


def run(
    frame: pd.DataFrame,
    train_until: pd.Timestamp,
    settings: AnomalySettings,
    kind: str,
    forecast: tuple[Trainer, RollingPlan] | None = None,
    *,
    span: bool = False,
    retrain_days: float | None = None,
) -> tuple[pd.DataFrame, RunTimes]:
    """Fit on the rows before ``train_until``, then score every later row online.

    Args:
        frame: The input frame.
        train_until: First online row.
        settings: Detector settings.
        kind: ``energy`` or ``sensor``.
        forecast: For energy, judge against the forecast engine's bands (see
            :func:`forecast_plan`) instead of the detector's own profile. Hours the
            detector flags are kept out of what the forecaster learns from afterwards.
        span: With ``forecast``, judge against the range between the forecast's and the own
            profile's medians (an hour is off only by how far it lies outside both).
        retrain_days: Fit on this many days of rows, and refit every day at 03:00 local on
            the days before it, :func:`continue_detector` choosing what goes on, as Home
            Assistant's daily retrain does (own profile only); None fits once on all rows.

    Returns:
        The ``timestamp, score, is_anomaly`` frame and the timings.
    """
    if retrain_days and forecast is not None:
        msg = "daily retrains are run with the own profile only"
        raise ValueError(msg)
    train = frame[frame.index < train_until]
    if retrain_days:
        train = train[train.index >= train_until - pd.Timedelta(days=retrain_days)]
    test = frame[frame.index >= train_until]
    started = time.perf_counter()
    rolling: RollingExpectations | None = None
    detector: EnergyAnomalyDetector | SensorAnomalyDetector
    if kind == "energy":
        past = None
        if forecast is not None:
            past = calibration_bands(train, train_until, *forecast)
            rolling = RollingExpectations(*forecast)
        detector = fit_energy_detector(train, settings, expected=past, span=span)
    else:
        detector = fit_sensor_detector(train, settings)
    fit_seconds = time.perf_counter() - started
    columns = list(frame.columns)
    # What the forecaster may learn from: hours the detector flags are excluded afterwards.
    work = frame[["target"]].assign(excluded=False)
    first = int((frame.index < train_until).sum())
    statuses: list[AnomalyStatus] = []
    started = time.perf_counter()
    online = pd.DatetimeIndex(test.index)
    retrain_at = retrain_times(online, settings.time_zone) if retrain_days else set()
    refit_seconds = 0.0
    for offset, (moment, row) in enumerate(
        zip(test.index, test.itertuples(index=False), strict=True)
    ):
        if moment in retrain_at and retrain_days:
            refit_started = time.perf_counter()
            detector = refit(frame, moment, detector, settings, kind=kind, days=retrain_days)
            refit_seconds += time.perf_counter() - refit_started
        values = dict(zip(columns, (float(v) for v in row), strict=True))
        if isinstance(detector, EnergyAnomalyDetector):
            band = None if rolling is None else rolling.band(work, moment)
            status = detector.update(moment, values["target"], band)
            if status.is_anomaly or status.score >= settings.on_score:
                work.iat[first + offset, 1] = True
        else:
            status = detector.update(moment, values)
        statuses.append(status)
    elapsed = time.perf_counter() - started - refit_seconds  # scoring only
    out = pd.DataFrame(
        {
            "timestamp": [s.timestamp.isoformat() for s in statuses],
            "score": [round(s.score, 6) for s in statuses],
            "is_anomaly": [int(s.is_anomaly) for s in statuses],
        }
    )
    rows = len(statuses)
    return out, RunTimes(kind, fit_seconds, rows, 1000 * elapsed / max(rows, 1))


def retrain_times(index: pd.DatetimeIndex, time_zone: str) -> set[pd.Timestamp]:
    """The first row at or after 03:00 local time of each day: when Home Assistant retrains."""
    local = index.tz_convert(time_zone)
    days = pd.Series(local.normalize(), index=index)
    late = pd.Series(local.hour >= RETRAIN_HOUR, index=index)
    first = days[late.to_numpy()].drop_duplicates()
    return set(first.index)


def refit(
    frame: pd.DataFrame,
    moment: pd.Timestamp,
    previous: EnergyAnomalyDetector | SensorAnomalyDetector,
    settings: AnomalySettings,
    *,
    kind: str,
    days: float,
) -> EnergyAnomalyDetector | SensorAnomalyDetector:
    """What Home Assistant's retrain at ``moment`` goes on with (``continue_detector``)."""
    history = frame[(frame.index < moment) & (frame.index >= moment - pd.Timedelta(days=days))]
    fit = fit_energy_detector if kind == "energy" else fit_sensor_detector
    try:
        detector = fit(history, settings)
    except ValueError:
        return previous  # nothing to learn from in this window: go on with the one in use
    return continue_detector(detector, previous)


def add_retrain_argument(parser: argparse.ArgumentParser) -> None:
    """``--retrain daily|never``, shared by the anomaly benchmarks."""
    parser.add_argument(
        "--retrain",
        choices=["never", "daily"],
        default="daily",
        help="retrain daily at 03:00 local as Home Assistant does (not against forecast"
        " bands), or fit once",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--csv", type=Path, required=True)
    parser.add_argument("--timestamp-col", required=True)
    parser.add_argument("--value-col", required=True)
    parser.add_argument("--feature-col", action="append", default=[])
    parser.add_argument("--train-until", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--time-zone", default="UTC", help="local zone (naive stamps, profiles)")
    parser.add_argument("--kind", choices=["auto", "energy", "sensor"], default="auto")
    parser.add_argument("--sensitivity", default="medium")
    parser.add_argument(
        "--multivariate",
        choices=["auto", "on", "off"],
        default="auto",
        help="IsolationForest over several sensors (auto: when scikit-learn is installed)",
    )
    parser.add_argument(
        "--expected",
        choices=["profile", "forecast", "both"],
        default="profile",
        help="energy: judge against the own hour-of-week profile, the forecast engine's band"
        " or the range between both medians",
    )
    parser.add_argument(
        "--refit-days", type=float, default=7.0, help="forecaster retraining interval"
    )
    add_retrain_argument(parser)
    parser.add_argument(
        "--retrain-days", type=float, default=365.0, help="history of each daily refit"
    )
    args = parser.parse_args(argv)

    frame = read_frame(
        args.csv, args.timestamp_col, args.value_col, args.feature_col, args.time_zone
    )
    train_until = pd.Timestamp(args.train_until)
    if train_until.tzinfo is None:
        train_until = train_until.tz_localize(args.time_zone)
    sensitivity: str | float = args.sensitivity
    if sensitivity not in {"low", "medium", "high"}:
        sensitivity = float(sensitivity)
    settings = AnomalySettings(
        sensitivity=sensitivity,  # type: ignore[arg-type]
        time_zone=args.time_zone,
        use_multivariate={"auto": None, "on": True, "off": False}[args.multivariate],
    )
    forecast = None
    if args.expected != "profile":
        forecast = forecast_plan(args.time_zone, args.refit_days)
    kind = choose_kind(frame, args.kind)
    # Against forecast bands the thresholds are learnt from a replay of the forecaster: fit once.
    daily = args.retrain == "daily" and forecast is None
    retrain_days = args.retrain_days if daily else None
    out, times = run(
        frame,
        train_until,
        settings,
        kind,
        forecast,
        span=args.expected == "both",
        retrain_days=retrain_days,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(args.out, index=False)
    print(
        f"{times.kind}: fit {times.fit_seconds:.3f} s on {int((frame.index < train_until).sum())}"
        f" rows; scored {times.rows} rows at {times.score_ms:.3f} ms/row -> {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
