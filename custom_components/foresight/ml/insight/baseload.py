"""Base load: the always-on consumption (fridge, standby, network gear, pumps).

Per local day, the base is the 10th percentile of that day's hourly energy (roughly its third
lowest hour), so one or two glitch hours near zero and any number of spikes leave it alone; a
day needs 18 known hours. The base load of a week is the median of its daily bases (at least 4
of its 7 days), in watts (kWh per hour x 1000).

When the weather model finds heating or cooling, the weather's share of each hour is taken off
first, so a cold night's heating is not mistaken for a higher base. The base load is then an
extrapolation to weather without heating or cooling, and only as good as the slopes used: in a
cold week the heating at night is often several times the base itself, so 10 % of slope
error moves the base by half of it or more.

**One slope per hour of the day, on weekdays and weekends.** Real heating does not follow
the hour's degree-days uniformly: thermostat programmes, night setbacks and occupancy make a
degree-day at 03:00 cost less (or more) than one at 19:00, and a weekday afternoon in an
empty home less than the same hour at the weekend. A single slope (such as the daily totals'
one) then takes too much off some hours and too little off others, and the base, read from
the lowest hours, lands on the hours it over-corrects: on ``ml.synthetic.synthetic_home``
(heating 0.6 + 0.4 x occupancy) in February a single slope gave base loads of -410 to +160 W
for a true 250 W, and -390 to +290 W month by month over a year. So each local hour of the
day gets its own slope, for weekdays and for weekends (:func:`hourly_slopes`), measured from
how that hour's energy moves with that hour's degree-days from one day to the next (robustly,
pooled with the two neighbouring hours on each side for stability). Day-to-day *changes*
rather than levels, because a step in the base load, an away week or a slow drift in
behaviour is in the level of every later day but in only one change, which the robust fit
gives little or no weight. Heating and cooling slopes are fitted together. Where a group has
too few changes of moving degree-days it keeps the slope of all days, or the daily totals'
one. The price is noise: an hour's slope rests on a few dozen day-to-day changes, so on
``synthetic_home`` a single week's base can still be off by a third in midwinter (see
``docs/benchmarks/insight.md``); on a home whose heating does follow the hour's degree-days
the result is as good as before (within 2 %).

**No correction the data do not support.** Each slope is kept between zero and three times
the daily totals' slope. If the corrected base load of either week is still not positive (the
correction took more off the lowest hours than they used), the correction is not believable
and both weeks fall back to the plain, uncorrected base (``EnergyInsight.base_load_weather_
corrected`` is then ``False`` and the text says the figure includes heating or cooling). The
plain base is a 10th percentile of hours that are never negative, so the reported base load
is never negative.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from custom_components.foresight.ml.anomaly.robust import nan_quantile_rows

from .prepare import WINDOW_DAYS, BoolArray, FloatArray, HourlyGrid
from .regression import robust_fit

DAY_QUANTILE = 0.10
MIN_DAY_HOURS = 18
MIN_WEEK_DAYS = 4
MAX_DAY_HOURS = 25
HOURS_PER_DAY = 24
WEEKEND_DAY = 5
"""Saturday (Monday is 0)."""
HOURS_PER_YEAR_KILO = 8.76
"""One watt all year long is 8.76 kWh."""
HOUR_SPAN = 2
"""An hour's slope is fitted together with this many neighbouring hours on each side."""
MIN_SLOPE_PAIRS = 10
"""Day-to-day changes with moving degree-days an hour's slope needs (else the daily slope)."""
MIN_DEGREE_DAY_CHANGE = 0.1 / 24.0
"""A change of the hour's degree-days counts as moving from 0.1 degC (over 24)."""
MAX_SLOPE_FACTOR = 3.0
"""An hour's slope is at most this many times the daily totals' slope."""


def day_matrix(grid: HourlyGrid, hourly: FloatArray) -> FloatArray:
    """An hourly quantity as one row per local day of the window (NaN-padded to 25 hours)."""
    slot = grid.day + WINDOW_DAYS
    first = np.searchsorted(slot, slot, side="left")
    table = np.full((WINDOW_DAYS, MAX_DAY_HOURS), np.nan)
    table[slot, np.arange(slot.size) - first] = hourly
    return table


def hour_matrix(grid: HourlyGrid, hourly: FloatArray) -> FloatArray:
    """An hourly quantity by local day (rows) and local hour of the day (24 columns).

    The repeated hour of a 25-hour day keeps its second value; the skipped hour of a 23-hour
    day is NaN.
    """
    table = np.full((WINDOW_DAYS, HOURS_PER_DAY), np.nan)
    table[grid.day + WINDOW_DAYS, grid.hour_of_week % HOURS_PER_DAY] = hourly
    return table


def daily_bases(grid: HourlyGrid, values: FloatArray) -> FloatArray:
    """The 10th percentile of each local day's hours, in kWh per hour (NaN if too few)."""
    table = day_matrix(grid, values)
    bases = nan_quantile_rows(table, DAY_QUANTILE)
    bases[np.sum(~np.isnan(table), axis=1) < MIN_DAY_HOURS] = np.nan
    return bases


def _hour_slopes(changes: FloatArray, moves: FloatArray, fallback: FloatArray) -> FloatArray:
    """Slopes of one hour's pooled day-to-day changes (one per weather term).

    A term with under 10 changes of moving degree-days keeps its ``fallback`` slope.
    """
    known = np.isfinite(changes) & np.all(np.isfinite(moves), axis=1)
    changes, moves = changes[known], moves[known]
    supported = np.sum(np.abs(moves) >= MIN_DEGREE_DAY_CHANGE, axis=0) >= MIN_SLOPE_PAIRS
    slopes = fallback.copy()
    if supported.any():
        # Terms without support keep the fallback slope; take their share off first.
        rest = changes - moves[:, ~supported] @ fallback[~supported]
        fitted, _ = robust_fit(moves[:, supported], rest)
        slopes[supported] = np.where(np.isfinite(fitted), fitted, fallback[supported])
    return slopes


def _weekend_days(grid: HourlyGrid) -> BoolArray:
    """Whether each local day of the window is a Saturday or Sunday."""
    weekend = np.zeros(WINDOW_DAYS, dtype=bool)
    weekend[grid.day + WINDOW_DAYS] = grid.hour_of_week // HOURS_PER_DAY >= WEEKEND_DAY
    return weekend


def hourly_slopes(
    grid: HourlyGrid,
    values: FloatArray,
    degree_days: Sequence[FloatArray],
    daily_slopes: Sequence[float],
) -> FloatArray:
    """Each local hour's weather slopes on weekdays and weekends, shape (2, 24, terms).

    For hour ``h`` the changes from one day to the next of the energy of hours ``h - 2`` to
    ``h + 2`` (local hours of the day, wrapping around midnight) are fitted robustly, without
    intercept, on the changes of their degree-days (``energy change = slope x degree-day
    change`` for each term): once over all pairs of consecutive days, then over the pairs of
    two weekdays and over the pairs of two weekend days (a thermostat programme or an empty
    home on weekdays gives them different slopes). A fit with under 10 changes of moving
    degree-days keeps the slope of the fit before (the daily slope for the first). Slopes are
    clipped to ``[0, 3 x daily slope]``.

    Args:
        grid: The window's hours.
        values: kWh per hour.
        degree_days: Each weather term's hourly degree-days (``max(15.5 - T, 0) / 24`` or the
            cooling one).
        daily_slopes: The terms' slopes of daily totals, kWh per degree-day (positive).
    """
    daily = np.asarray(daily_slopes, dtype=np.float64)
    changes = np.diff(hour_matrix(grid, values), axis=0)
    moves = np.stack([np.diff(hour_matrix(grid, hourly), axis=0) for hourly in degree_days], -1)
    weekend = _weekend_days(grid)
    pairs = (~weekend[:-1] & ~weekend[1:], weekend[:-1] & weekend[1:])
    slopes = np.empty((len(pairs), HOURS_PER_DAY, daily.size))
    for hour in range(HOURS_PER_DAY):
        columns = [(hour + k) % HOURS_PER_DAY for k in range(-HOUR_SPAN, HOUR_SPAN + 1)]
        every_day = _hour_slopes(
            changes[:, columns].ravel(), moves[:, columns].reshape(-1, daily.size), daily
        )
        for group, rows in enumerate(pairs):
            slopes[group, hour] = _hour_slopes(
                changes[rows][:, columns].ravel(),
                moves[rows][:, columns].reshape(-1, daily.size),
                every_day,
            )
    return np.asarray(np.clip(slopes, 0.0, MAX_SLOPE_FACTOR * daily), dtype=np.float64)


def without_weather(
    grid: HourlyGrid, values: FloatArray, terms: Sequence[tuple[float, FloatArray]]
) -> FloatArray:
    """Hourly values with each weather term's share (hour's slope x degree-days) taken off.

    Args:
        grid: The window's hours.
        values: kWh per hour.
        terms: ``(daily slope, hourly degree-days)`` of each weather term found.
    """
    if not terms:
        return values
    slopes = hourly_slopes(grid, values, [hourly for _, hourly in terms], [s for s, _ in terms])
    hour = grid.hour_of_week % HOURS_PER_DAY
    weekend = (grid.hour_of_week // HOURS_PER_DAY >= WEEKEND_DAY).astype(np.int64)
    adjusted = values.copy()
    for column, (_, hourly) in enumerate(terms):
        adjusted = adjusted - slopes[weekend, hour, column] * hourly
    return np.asarray(adjusted, dtype=np.float64)


def week_base_w(bases: FloatArray, last_day: int) -> float | None:
    """Median daily base of the 7 days ending with ``last_day`` (offset from today), in W."""
    first = last_day - 6 + WINDOW_DAYS
    week = bases[max(first, 0) : last_day + 1 + WINDOW_DAYS]
    week = week[np.isfinite(week)]
    if week.size < MIN_WEEK_DAYS:
        return None
    return 1000.0 * float(np.median(week))


def week_noise_w(bases: FloatArray, last_day: int) -> float | None:
    """How far a week's base load moves from day-to-day noise alone (its standard error), W.

    The standard error of a median of n days is about 1.25 robust standard deviations of the
    days over the square root of n.
    """
    first = last_day - 6 + WINDOW_DAYS
    week = bases[max(first, 0) : last_day + 1 + WINDOW_DAYS]
    week = week[np.isfinite(week)]
    if week.size < MIN_WEEK_DAYS:
        return None
    spread = 1.4826 * float(np.median(np.abs(week - np.median(week))))
    return 1000.0 * 1.2533 * spread / float(np.sqrt(week.size))


def annual_kwh(change_w: float) -> float:
    """Energy of a constant change in power over a year, in kWh."""
    return change_w * HOURS_PER_YEAR_KILO
