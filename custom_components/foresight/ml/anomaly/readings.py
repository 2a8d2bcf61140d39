"""Judge a sensor at the pace of its readings rather than on hourly means.

Home Assistant records a state when it changes, and a state holds until the next one. On a
regular grid, a bucket without a reading therefore carries the state on: a sensor that stops
changing, or stops reporting, becomes a run of equal values that the stuck test can see. A
reading that is not a number (``unavailable``) ends the carry, so an outage is unknown, not
stuck. A bucket with readings holds their mean, so one absurd reading still shows.

The recorder keeps readings for about ten days, far less than the hourly history: the range
of normal values is therefore widened to what the hourly history (a year of seasons) saw.
"""

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TypeGuard

import numpy as np
import pandas as pd

from .sensor import SensorAnomalyDetector, fit_sensor_detector
from .settings import AnomalySettings

#: Fewest days of readings a detector learns from; with less, the hourly one serves.
MIN_READING_DAYS = 2.0

# Marks "not a number" while the grid carries states forward (readings are finite or NaN).
_UNKNOWN = -np.inf


def readings_on_grid(readings: pd.Series, step: timedelta, end: datetime) -> pd.Series:
    """The sensor's value per bucket of ``step``: its readings' mean, else the state carried on.

    Args:
        readings: Values by time, in order of arrival; NaN where the state was not a number.
        step: Bucket length (buckets start on multiples of it since the epoch).
        end: Only buckets complete by this moment are returned.

    Returns:
        Values indexed by bucket start (UTC), from the first reading's bucket to the last
        complete one; NaN where the state was not a number. Empty without readings.
    """
    delta = pd.Timedelta(step)
    stamps = pd.DatetimeIndex(readings.index).tz_convert("UTC")
    values = readings.to_numpy(dtype=float)
    last_bucket = pd.Timestamp(last_complete_bucket(end, step))
    keep = np.asarray(stamps < last_bucket + delta, dtype=bool)
    if not keep.any():
        return pd.Series(dtype=float, index=pd.DatetimeIndex([], tz="UTC"))
    stamps, values = stamps[keep], values[keep]
    buckets = stamps.floor(delta)
    grid = pd.date_range(buckets.min(), last_bucket, freq=delta)
    by_bucket = pd.Series(values, index=buckets)
    means = by_bucket.groupby(level=0).mean().reindex(grid)
    # The state each bucket ends in, an unknown one marked so that carrying it on stays unknown.
    final = pd.Series(np.where(np.isnan(values), _UNKNOWN, values), index=buckets)
    carried = final.groupby(level=0).last().reindex(grid).ffill()
    known = means.where(means.notna(), carried).to_numpy(dtype=float)
    known[known == _UNKNOWN] = np.nan
    return pd.Series(known, index=grid)


def judges_readings(detector: object) -> TypeGuard[SensorAnomalyDetector]:
    """Whether a detector judges a sensor's readings (a grid under an hour), not hourly values."""
    return isinstance(detector, SensorAnomalyDetector) and detector.step < timedelta(hours=1)


def judging_step(detector: object) -> timedelta:
    """How long each value a detector judges stands for: a bucket of readings, or an hour."""
    return detector.step if isinstance(detector, SensorAnomalyDetector) else timedelta(hours=1)


def last_complete_bucket(end: datetime, step: timedelta) -> datetime:
    """Start of the last bucket of ``step`` complete by ``end`` (the last one judged)."""
    delta = pd.Timedelta(step)
    return (pd.Timestamp(end).tz_convert("UTC") - delta).floor(delta).to_pydatetime()


def fit_reading_detector(
    readings: pd.Series,
    step: timedelta,
    end: datetime,
    settings: AnomalySettings,
    *,
    excluded_hours: pd.Series | None = None,
    hourly: SensorAnomalyDetector | None = None,
) -> SensorAnomalyDetector:
    """Learn a sensor's readings on a grid of ``step`` (see :func:`readings_on_grid`).

    Args:
        readings: The target's readings by time; NaN where the state was not a number.
        step: Grid step, under an hour.
        end: When the readings end (the grid's last complete bucket is the last learnt).
        settings: Detector settings.
        excluded_hours: Hours kept out of learning (hourly UTC index, True to exclude).
        hourly: The detector fitted on the hourly history: its range and span are kept.

    Raises:
        ValueError: Fewer than ``MIN_READING_DAYS`` of buckets, or nothing to learn from.
    """
    values = readings_on_grid(readings, step, end)
    known = values.index[values.notna().to_numpy()]
    if len(known) == 0 or (known[-1] - known[0]) < pd.Timedelta(days=MIN_READING_DAYS):
        msg = f"fewer than {MIN_READING_DAYS:g} days of readings"
        raise ValueError(msg)
    frame = pd.DataFrame({"target": values})
    if excluded_hours is not None:
        hours = pd.DatetimeIndex(values.index).floor("h")
        flags = excluded_hours.reindex(hours, fill_value=False).to_numpy(dtype=bool)
        frame["excluded"] = flags
    detector = fit_sensor_detector(frame, settings)
    if hourly is not None:
        _widen_to(detector, hourly)
    return detector


def _widen_to(detector: SensorAnomalyDetector, hourly: SensorAnomalyDetector) -> None:
    """Take the wider of the two ranges, and the hourly history's span.

    A fortnight of readings knows nothing of summer: fitted in winter alone, a room at 26 °C
    in July would be out of range. The span decides when a retrain replaces the detector
    (``continue_detector``), and the hourly history is what keeps growing.
    """
    for name, channel in detector.channels.items():
        if (wide := hourly.channels.get(name)) is None:
            continue
        learnt = channel.thresholds
        channel.thresholds = replace(
            learnt,
            low=float(np.nanmin([learnt.low, wide.thresholds.low])),
            high=float(np.nanmax([learnt.high, wide.thresholds.high])),
        )
    detector.history_hours = max(detector.history_hours, hourly.history_hours)
