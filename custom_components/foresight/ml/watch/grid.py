"""Native resolution: choose a grid step from the samples and resample onto it.

Home Assistant records a sensor when its value changes, so samples are irregular. The step is
the smallest allowed step (5, 10, 15, 30 or 60 minutes) that is at least the typical time
between two changes of the value (the median, so that bursts and outages do not decide).
Each grid bucket holds the mean of the samples inside it; buckets without samples stay NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from custom_components.foresight.ml.forecast.grid import check_frame, mean_per_slot

from .settings import ALLOWED_STEPS

type FloatArray = npt.NDArray[np.float64]

#: Fewest changes of the value needed to judge their spacing; otherwise all samples count.
MIN_CHANGES = 10


@dataclass(frozen=True, slots=True)
class SensorGrid:
    """Values on a regular UTC grid.

    Attributes:
        index: Regular UTC DatetimeIndex (bucket starts).
        target: Mean target value per bucket; NaN where unknown or excluded.
        features: Mean exogenous value per bucket, NaN where unknown.
        step: Grid step.
    """

    index: pd.DatetimeIndex
    target: FloatArray
    features: dict[str, FloatArray]
    step: pd.Timedelta

    def __len__(self) -> int:
        """Number of buckets, known or not."""
        return len(self.index)

    @property
    def steps_per_hour(self) -> float:
        """Buckets per hour."""
        return pd.Timedelta(hours=1) / self.step


def usable_target(frame: pd.DataFrame) -> pd.Series:
    """The numeric target with excluded rows and non-finite values dropped (UTC index)."""
    values = pd.to_numeric(frame["target"], errors="coerce").astype(float)
    keep = np.isfinite(values.to_numpy())
    if "excluded" in frame.columns:
        flags = pd.to_numeric(frame["excluded"], errors="coerce").to_numpy(dtype=float)
        keep &= np.nan_to_num(flags) == 0
    series = values[keep]
    series.index = pd.DatetimeIndex(series.index).tz_convert("UTC")
    return series.sort_index()


def choose_step(frame: pd.DataFrame) -> pd.Timedelta:
    """The grid step for a sensor, from how often its value changes.

    Args:
        frame: Raw samples in the project's frame convention.

    Returns:
        One of 5, 10, 15, 30 or 60 minutes (60 when there are too few samples to tell).
    """
    check_frame(frame)
    series = usable_target(frame)
    series = series[~series.index.duplicated(keep="last")]
    if len(series) < 2:
        return pd.Timedelta(minutes=ALLOWED_STEPS[-1])
    values = series.to_numpy()
    seconds = pd.DatetimeIndex(series.index).asi8 / 1e9
    changed = np.r_[True, values[1:] != values[:-1]]
    if int(changed.sum()) > MIN_CHANGES:
        seconds = seconds[changed]
    typical_minutes = float(np.median(np.diff(seconds))) / 60.0
    for minutes in ALLOWED_STEPS:
        if typical_minutes <= minutes * 1.05:  # 5 % slack for jittery clocks
            return pd.Timedelta(minutes=minutes)
    return pd.Timedelta(minutes=ALLOWED_STEPS[-1])


def build_grid(
    frame: pd.DataFrame,
    step: pd.Timedelta,
    feature_columns: tuple[str, ...],
    *,
    end: pd.Timestamp | None = None,
) -> SensorGrid:
    """Resample raw samples onto a regular UTC grid of ``step`` (means per bucket).

    Args:
        frame: Raw samples in the project's frame convention (optional ``excluded``).
        step: Grid step.
        feature_columns: Exogenous columns; missing ones are all-NaN.
        end: Optional inclusive end: samples after it are ignored.

    Returns:
        The grid, from the bucket of the first sample to the bucket of the last (empty when
        there are no samples).
    """
    check_frame(frame)
    stamps = pd.DatetimeIndex(frame.index).tz_convert("UTC")
    target = pd.to_numeric(frame["target"], errors="coerce").to_numpy(dtype=float)
    if "excluded" in frame.columns:
        flags = pd.to_numeric(frame["excluded"], errors="coerce").to_numpy(dtype=float)
        target = np.where(np.nan_to_num(flags) != 0, np.nan, target)
    columns = {"target": target}
    for name in feature_columns:
        columns[name] = (
            pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
            if name in frame.columns
            else np.full(len(frame), np.nan)
        )
    if end is not None:
        keep = np.asarray(stamps <= end.tz_convert("UTC"), dtype=bool)
        stamps = stamps[keep]
        columns = {name: values[keep] for name, values in columns.items()}
    if len(stamps) == 0:
        empty = pd.DatetimeIndex([], tz="UTC")
        return SensorGrid(empty, np.empty(0), {name: np.empty(0) for name in feature_columns}, step)
    floored = stamps.floor(step)
    first = floored.min()
    slots = ((floored - first) // step).to_numpy(dtype=np.int64)
    size = int(slots.max()) + 1
    gridded = {name: mean_per_slot(slots, values, size) for name, values in columns.items()}
    return SensorGrid(
        index=pd.date_range(first, periods=size, freq=step),
        target=gridded.pop("target"),
        features=gridded,
        step=step,
    )


def carry_forward(values: FloatArray, limit: int) -> FloatArray:
    """Fill NaN runs with the last known value, for at most ``limit`` steps (lags only)."""
    return np.asarray(pd.Series(values).ffill(limit=limit).to_numpy(dtype=float))


def fill_limit(step: pd.Timedelta) -> int:
    """Steps a gap may be carried forward: half an hour, and at least two steps."""
    return max(2, int(pd.Timedelta(minutes=30) // step))
