"""Put an input frame on a complete hourly grid of the last 8 local weeks, and sum it per day.

Only complete local days before the local date of ``now`` are analysed: day ``-1`` is
yesterday, day ``-56`` eight weeks ago. Hours flagged ``excluded``, negative hours and spikes
(:func:`..cleaning.flag_implausible`) are unknown (NaN), as are missing rows. A local day may
have 23 or 25 hours (daylight saving); sums scale with the day's own length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from custom_components.foresight.ml.cleaning import flag_implausible

type FloatArray = npt.NDArray[np.float64]
type IntArray = npt.NDArray[np.int64]
type BoolArray = npt.NDArray[np.bool_]

WINDOW_DAYS = 56
"""Eight weeks: the last four against the four before."""
PERIOD_DAYS = 28
MIN_DAY_SHARE = 0.8
"""A day's total is known when at least 80 % of its hours are (scaled up to the full day)."""
TEMPERATURE_GAP_HOURS = 3
"""Temperature gaps up to this long are interpolated."""


@dataclass(frozen=True, slots=True)
class HourlyGrid:
    """Every hour of the analysis window.

    Attributes:
        values: kWh per hour, NaN where unknown.
        temperature: Outdoor temperature per hour (NaN where unknown), or ``None``.
        day: Local day offset from today (``-56`` ... ``-1``).
        hour_of_week: Local hour of the week, Monday 00:00 = 0.
    """

    values: FloatArray
    temperature: FloatArray | None
    day: IntArray
    hour_of_week: IntArray


@dataclass(frozen=True, slots=True)
class DailyTable:
    """One row per local day of the window (offset ``-56`` ... ``-1``).

    Attributes:
        day: Day offset from today.
        kwh: Energy of the day (NaN when fewer than 80 % of its hours are known).
        weekend: Whether the day is a Saturday or Sunday.
        hours: Length of the day in hours (23, 24 or 25).
    """

    day: IntArray
    kwh: FloatArray
    weekend: BoolArray
    hours: IntArray


def as_utc(moment: pd.Timestamp) -> pd.Timestamp:
    """A timestamp in UTC (naive ones are taken as UTC)."""
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")


def _local_midnight(date: pd.Timestamp, time_zone: str) -> pd.Timestamp:
    """The start of a local date (the first hour after a skipped midnight, the earlier of two)."""
    return date.tz_localize(time_zone, ambiguous=True, nonexistent="shift_forward")


def _numeric(column: pd.Series) -> FloatArray:
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(np.isfinite(values), values, np.nan)


def hourly_grid(
    frame: pd.DataFrame, *, time_zone: str, now: pd.Timestamp, temperature_column: str | None
) -> HourlyGrid | None:
    """The window's hours with their values; ``None`` when the frame is unusable.

    Args:
        frame: Input (tz-aware index, ``target``, optional ``excluded`` and temperature).
        time_zone: The home's IANA time zone.
        now: The moment of the analysis; later rows are ignored.
        temperature_column: Name of the outdoor temperature column, if any.
    """
    if (
        not isinstance(frame, pd.DataFrame)
        or "target" not in frame.columns
        or not isinstance(frame.index, pd.DatetimeIndex)
        or frame.index.tz is None
    ):
        return None
    today_date = as_utc(now).tz_convert(time_zone).tz_localize(None).normalize()
    today = _local_midnight(today_date, time_zone)
    start = _local_midnight(today_date - pd.Timedelta(days=WINDOW_DAYS), time_zone)
    # Hours start on whole UTC hours; in zones with a half-hour offset each belongs to the
    # local date it starts on.
    grid = pd.date_range(
        start.tz_convert("UTC").ceil("h"),
        today.tz_convert("UTC").ceil("h"),
        freq="h",
        inclusive="left",
    )
    rows = _hourly_rows(frame, frame.index, temperature_column).reindex(grid)
    values = rows["value"].to_numpy(dtype=np.float64)
    for mask in flag_implausible(values, cumulative_source=True).values():
        values[mask] = np.nan
    temperature = None
    if "temperature" in rows:
        temperature = (
            rows["temperature"]
            .interpolate(limit=TEMPERATURE_GAP_HOURS, limit_area="inside")
            .to_numpy(dtype=np.float64)
        )
    local = grid.tz_convert(time_zone)
    dates = local.tz_localize(None).normalize()
    day = ((dates - today_date) // pd.Timedelta(days=1)).to_numpy(dtype=np.int64)
    hour_of_week = (local.dayofweek * 24 + local.hour).to_numpy(dtype=np.int64)
    return HourlyGrid(values=values, temperature=temperature, day=day, hour_of_week=hour_of_week)


def _excluded(column: pd.Series) -> BoolArray:
    """The ``excluded`` flags as booleans (missing is not excluded)."""
    try:
        return column.astype("boolean").fillna(value=False).to_numpy(dtype=bool)
    except TypeError, ValueError:
        return np.asarray(pd.to_numeric(column, errors="coerce").fillna(0.0) != 0.0, dtype=bool)


def _hourly_rows(
    frame: pd.DataFrame, index: pd.DatetimeIndex, temperature_column: str | None
) -> pd.DataFrame:
    """Mean value (and temperature) per UTC hour; excluded rows count as unknown."""
    values = _numeric(frame["target"])
    if "excluded" in frame.columns:
        values[_excluded(frame["excluded"])] = np.nan
    columns: dict[str, FloatArray] = {"value": values}
    if temperature_column is not None and temperature_column in frame.columns:
        columns["temperature"] = _numeric(frame[temperature_column])
    hours = index.tz_convert("UTC").floor("h")
    table = pd.DataFrame(columns, index=hours)
    return table.groupby(level=0).mean()


def daily_table(grid: HourlyGrid) -> DailyTable:
    """Energy per local day (NaN for days with too few known hours)."""
    days = np.arange(-WINDOW_DAYS, 0, dtype=np.int64)
    slot = grid.day + WINDOW_DAYS
    hours = np.bincount(slot, minlength=WINDOW_DAYS).astype(np.int64)
    known = ~np.isnan(grid.values)
    known_hours = np.bincount(slot, weights=known, minlength=WINDOW_DAYS)
    total = np.bincount(slot, weights=np.where(known, grid.values, 0.0), minlength=WINDOW_DAYS)
    with np.errstate(invalid="ignore", divide="ignore"):
        kwh = total / known_hours * hours
    kwh[(known_hours < MIN_DAY_SHARE * hours) | (hours == 0)] = np.nan
    weekday = np.full(WINDOW_DAYS, -1, dtype=np.int64)
    weekday[slot] = grid.hour_of_week // 24
    return DailyTable(day=days, kwh=kwh, weekend=weekday >= 5, hours=hours)


def daily_mean(grid: HourlyGrid, hourly: FloatArray) -> FloatArray:
    """Mean of an hourly quantity per local day (NaN with under 80 % of the hours known)."""
    slot = grid.day + WINDOW_DAYS
    hours = np.bincount(slot, minlength=WINDOW_DAYS)
    known = ~np.isnan(hourly)
    count = np.bincount(slot, weights=known, minlength=WINDOW_DAYS)
    total = np.bincount(slot, weights=np.where(known, hourly, 0.0), minlength=WINDOW_DAYS)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
    mean[(count < MIN_DAY_SHARE * hours) | (hours == 0)] = np.nan
    return np.asarray(mean, dtype=np.float64)
