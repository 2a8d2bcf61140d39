"""Turn the project's input frame into a regular hourly grid of NumPy arrays.

Feature code indexes hours by position, so gaps (missing rows or NaN rows) must become NaN
positions on a regular UTC grid first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

type FloatArray = npt.NDArray[np.float64]

HOUR = pd.Timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class HourlyGrid:
    """Hourly values on a regular UTC grid.

    Attributes:
        index: Regular hourly UTC DatetimeIndex.
        target: Target per hour; NaN where unknown or excluded from learning.
        features: Exogenous sensor values per hour, NaN where unknown.
    """

    index: pd.DatetimeIndex
    target: FloatArray
    features: dict[str, FloatArray]

    def __len__(self) -> int:
        """Number of hours on the grid, known or not."""
        return len(self.index)

    def position(self, timestamp: pd.Timestamp) -> int:
        """Grid position of an hour (may lie outside the grid: negative or past the end)."""
        return int((timestamp - self.index[0]) // HOUR)


def to_utc_hour(timestamp: pd.Timestamp) -> pd.Timestamp:
    """Return a tz-aware timestamp converted to UTC; naive timestamps are refused.

    Raises:
        ValueError: The timestamp has no time zone.
    """
    if timestamp.tzinfo is None:
        msg = "timestamps must be time-zone aware"
        raise ValueError(msg)
    return timestamp.tz_convert("UTC")


def check_frame(frame: pd.DataFrame) -> None:
    """Check the project's frame convention (tz-aware DatetimeIndex, ``target`` column).

    Raises:
        ValueError: The index is not a tz-aware DatetimeIndex or ``target`` is missing.
    """
    if not isinstance(frame.index, pd.DatetimeIndex) or frame.index.tz is None:
        msg = "the frame must be indexed by a tz-aware DatetimeIndex"
        raise ValueError(msg)
    if "target" not in frame.columns:
        msg = "the frame has no 'target' column"
        raise ValueError(msg)


def build_grid(
    frame: pd.DataFrame,
    feature_columns: tuple[str, ...],
    *,
    end: pd.Timestamp | None = None,
) -> HourlyGrid:
    """Resample a frame in the project's convention onto a regular hourly grid.

    Rows are floored to the hour and duplicates averaged, so slightly irregular recorder
    statistics still line up. Rows flagged ``excluded`` lose their target value, so neither
    the model nor the lag features learn from them.

    Args:
        frame: Frame indexed by a tz-aware DatetimeIndex with a ``target`` column.
        feature_columns: Exogenous columns to keep; missing ones are all-NaN.
        end: Optional exclusive end of the grid (rows at or after it are dropped).

    Returns:
        The regular grid (empty when the frame is).

    Raises:
        ValueError: The index is not tz-aware or the ``target`` column is missing.
    """
    check_frame(frame)
    stamps = pd.DatetimeIndex(frame.index).tz_convert("UTC").floor("h")
    columns = {"target": pd.to_numeric(frame["target"], errors="coerce").to_numpy(dtype=float)}
    if "excluded" in frame.columns:
        # Booleans become 1/0; None or NaN (not flagged) become 0.
        flags = pd.to_numeric(frame["excluded"], errors="coerce").to_numpy(dtype=float)
        excluded = np.nan_to_num(flags) != 0
        columns["target"] = np.where(excluded, np.nan, columns["target"])
    for name in feature_columns:
        if name in frame.columns:
            columns[name] = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
        else:
            columns[name] = np.full(len(frame), np.nan)
    if end is not None:
        keep = np.asarray(stamps < to_utc_hour(end), dtype=bool)
        stamps = stamps[keep]
        columns = {name: values[keep] for name, values in columns.items()}
    if len(stamps) == 0:
        empty = pd.DatetimeIndex([], tz="UTC")
        return HourlyGrid(empty, np.empty(0), {name: np.empty(0) for name in feature_columns})
    first = stamps.min()
    slots = ((stamps - first) // HOUR).to_numpy(dtype=np.int64)
    size = int(slots.max()) + 1
    index = pd.date_range(first, periods=size, freq="h")
    gridded = {name: mean_per_slot(slots, values, size) for name, values in columns.items()}
    return HourlyGrid(
        index=index,
        target=gridded.pop("target"),
        features={name: gridded[name] for name in feature_columns},
    )


def mean_per_slot(slots: npt.NDArray[np.int64], values: FloatArray, size: int) -> FloatArray:
    """Mean of the finite values falling into each slot (NaN where none)."""
    finite = np.isfinite(values)
    sums = np.bincount(slots[finite], weights=values[finite], minlength=size)
    counts = np.bincount(slots[finite], minlength=size)
    out = np.full(size, np.nan)
    np.divide(sums, counts, out=out, where=counts > 0)
    return out


def carry_forward(values: FloatArray) -> FloatArray:
    """Replace each NaN by the last finite value before it (leading NaNs stay)."""
    last = np.where(np.isfinite(values), np.arange(len(values)), -1)
    np.maximum.accumulate(last, out=last)
    out = np.full(len(values), np.nan)
    seen = last >= 0
    out[seen] = values[last[seen]]
    return out
