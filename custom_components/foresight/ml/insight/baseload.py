"""Base load: the always-on consumption (fridge, standby, network gear, pumps).

Per local day, the base is the 10th percentile of that day's hourly energy (roughly its third
lowest hour), so one or two glitch hours near zero and any number of spikes leave it alone; a
day needs 18 known hours. The base load of a week is the median of its daily bases (at least 4
of its 7 days), in watts (kWh per hour x 1000).

When the weather model finds heating or cooling, the weather's share of each hour
(``slope x degree-days of the hour``) is taken off first, so a cold night's heating is not
mistaken for a higher base. The base load is then an extrapolation to weather without heating
or cooling, and only as good as the slope used: 1 % of slope error moves it by 1 % of the
night-time heating. The slope of daily totals is too noisy for that (appliance use varies
from day to day), so the slope used here is the one that makes the daily bases steadiest
(:func:`steadiest_slope`).
"""

from __future__ import annotations

import numpy as np

from custom_components.foresight.ml.anomaly.robust import nan_quantile_rows

from .prepare import WINDOW_DAYS, FloatArray, HourlyGrid

DAY_QUANTILE = 0.10
MIN_DAY_HOURS = 18
MIN_WEEK_DAYS = 4
MAX_DAY_HOURS = 25
HOURS_PER_YEAR_KILO = 8.76
"""One watt all year long is 8.76 kWh."""
SLOPE_STEPS = 201
MIN_STEADY_DAYS = 10


def day_matrix(grid: HourlyGrid, hourly: FloatArray) -> FloatArray:
    """An hourly quantity as one row per local day of the window (NaN-padded to 25 hours)."""
    slot = grid.day + WINDOW_DAYS
    first = np.searchsorted(slot, slot, side="left")
    table = np.full((WINDOW_DAYS, MAX_DAY_HOURS), np.nan)
    table[slot, np.arange(slot.size) - first] = hourly
    return table


def daily_bases(grid: HourlyGrid, values: FloatArray) -> FloatArray:
    """The 10th percentile of each local day's hours, in kWh per hour (NaN if too few)."""
    table = day_matrix(grid, values)
    bases = nan_quantile_rows(table, DAY_QUANTILE)
    bases[np.sum(~np.isnan(table), axis=1) < MIN_DAY_HOURS] = np.nan
    return bases


def steadiest_slope(
    grid: HourlyGrid, values: FloatArray, degree_days: FloatArray, daily_slope: float
) -> float:
    """The weather slope that leaves the daily bases steadiest from one day to the next.

    Tries slopes from 0 to twice the slope of daily totals (in 1 % steps of it) and keeps
    the one whose weather-free daily bases change least in all (sum of absolute changes
    between consecutive days with a base; a step in the base load adds the same at any slope,
    so it does not tilt the choice). Falls back to ``daily_slope`` with under 10 such days.

    Args:
        grid: The window's hours.
        values: kWh per hour (with other weather terms already taken off).
        degree_days: The hour's degree-days (``max(15.5 - T, 0) / 24`` or the cooling one).
        daily_slope: Slope of the daily totals, kWh per degree-day.
    """
    table = day_matrix(grid, values)
    weather = day_matrix(grid, degree_days)
    table[np.isnan(weather)] = np.nan
    rows = np.sum(~np.isnan(table), axis=1) >= MIN_DAY_HOURS
    if int(rows.sum()) < MIN_STEADY_DAYS or not daily_slope > 0:
        return daily_slope
    slopes = np.linspace(0.0, 2.0 * daily_slope, SLOPE_STEPS)
    adjusted = table[rows][None, :, :] - slopes[:, None, None] * weather[rows][None, :, :]
    bases = nan_quantile_rows(adjusted.reshape(-1, MAX_DAY_HOURS), DAY_QUANTILE)
    roughness = np.abs(np.diff(bases.reshape(SLOPE_STEPS, -1), axis=1)).sum(axis=1)
    return float(slopes[int(np.argmin(roughness))])


def week_base_w(bases: FloatArray, last_day: int) -> float | None:
    """Median daily base of the 7 days ending with ``last_day`` (offset from today), in W."""
    first = last_day - 6 + WINDOW_DAYS
    week = bases[max(first, 0) : last_day + 1 + WINDOW_DAYS]
    week = week[np.isfinite(week)]
    if week.size < MIN_WEEK_DAYS:
        return None
    return 1000.0 * float(np.median(week))


def annual_kwh(change_w: float) -> float:
    """Energy of a constant change in power over a year, in kWh."""
    return change_w * HOURS_PER_YEAR_KILO
