"""The profile's expectations for every past hour, as the online detector would have made them.

Fitting replays the history day by day: each day's hours are judged against a profile fitted
on the weeks before that day only (:func:`.profile.build_profile`), so the thresholds learnt
from the residuals describe out-of-sample behaviour. Two years are 731 such profiles; fitted
one at a time they took a fifth of a whole training, so all days are fitted at once here, on
tables with one layer per day, with the same arithmetic in the same order (the results are
the same to the last bit; ``tests/ml/test_anomaly_replay.py`` compares them).
"""

import numpy as np

from .profile import (
    HOURS_PER_WEEK,
    LEVEL_HOURS,
    MIN_LEVEL_VALUES,
    MIN_SLOT_VALUES,
    MIN_VALUES,
    RECENT_WEIGHT,
    REFIT_HOURS,
    IntArray,
)
from .robust import FloatArray

HOURS_PER_DAY = 24


def replay_bands(
    hours: IntArray, values: FloatArray, slots: IntArray, hours_of_day: IntArray, weeks: int
) -> FloatArray:
    """The medians the online detector would have expected for each past hour.

    Args:
        hours: Sorted hour numbers of the history.
        values: Values (NaN for hours not to learn from).
        slots: Local hour-of-week of each hour.
        hours_of_day: Local hour-of-day of each hour.
        weeks: Weeks each day's profile looks back.

    Returns:
        An ``(n, 3)`` array of P10, P50, P90 (all three the median: only it is replayed);
        NaN while too little history existed.
    """
    bands = np.full((len(hours), 3), np.nan)
    if len(hours) == 0:
        return bands
    first = int(hours[0])
    span = int(hours[-1]) - first + 1
    days = (span + REFIT_HOURS - 1) // REFIT_HOURS
    lookback = weeks * HOURS_PER_WEEK
    # A dense timeline with ``lookback`` empty hours in front, so every day's window is a slice.
    value_at = np.full(lookback + span, np.nan)
    position = hours - first + lookback
    value_at[position] = values
    # Row d, column j: the hour ``lookback - j`` hours before day d starts. Oldest first, as
    # build_profile fills its tables in rising hour order (a cell written twice keeps the last).
    window = (np.arange(days) * REFIT_HOURS)[:, None] + np.arange(lookback)[None, :]
    known = np.isfinite(value_at[window])
    day, column = np.nonzero(known)
    cell = window[known]
    value = value_at[cell]
    slot = np.zeros(lookback + span, dtype=np.int64)
    slot[position] = slots
    slot = slot[cell]
    hour_of_day = np.zeros(lookback + span, dtype=np.int64)
    hour_of_day[position] = hours_of_day
    age = lookback - 1 - column
    by_slot = np.full((days, HOURS_PER_WEEK, weeks), np.nan)
    by_slot[day, slot, age // HOURS_PER_WEEK] = value
    by_hour = np.full((days, HOURS_PER_DAY, weeks * 7), np.nan)
    by_hour[day, hour_of_day[cell], age // HOURS_PER_DAY] = value
    median = _median_last_axis(by_slot)
    thin = np.sum(np.isfinite(by_slot), axis=2) < MIN_SLOT_VALUES
    slot_hours = np.arange(HOURS_PER_WEEK) % HOURS_PER_DAY
    # Fewer than two days of values give no profile at all.
    enough = np.sum(known, axis=1) >= MIN_VALUES
    for young in np.flatnonzero(thin.any(axis=1) & enough):  # young history or gaps
        hour_median = _median_last_axis(by_hour[young])
        missing = np.isnan(hour_median)
        if missing.any():
            hour_median[missing] = float(np.median(value[day == young]))
        median[young] = np.where(thin[young], hour_median[slot_hours], median[young])
    last_week = _median_last_axis(by_hour[:, :, :7])[:, slot_hours]
    median = np.where(
        np.isfinite(last_week), RECENT_WEIGHT * last_week + (1 - RECENT_WEIGHT) * median, median
    )
    recent = np.full((days, LEVEL_HOURS), np.nan)
    latest = age < LEVEL_HOURS
    recent[day[latest], LEVEL_HOURS - 1 - age[latest]] = (
        value[latest] - median[day[latest], slot[latest]]
    )
    level = _median_last_axis(recent, halves=True)
    level[np.sum(np.isfinite(recent), axis=1) < MIN_LEVEL_VALUES] = 0.0
    day_of_row = (hours - first) // REFIT_HOURS
    usable = enough[day_of_row]
    center = median[day_of_row, slots] + level[day_of_row]
    bands[usable] = center[usable, None]
    return bands


def _median_last_axis(table: FloatArray, *, halves: bool = False) -> FloatArray:
    """Median along the last axis ignoring NaN, as :func:`.robust.nan_quantile_rows` computes it.

    ``halves`` averages the two middle values as ``(a + b) / 2``, the way ``np.median`` does,
    instead of ``a * 0.5 + b * 0.5``; both describe the same number but may round apart.
    """
    ordered = np.sort(table, axis=-1)  # NaN sorts last
    counts = np.sum(~np.isnan(table), axis=-1)
    last = np.maximum(counts - 1, 0)
    position = last * 0.5
    below = np.floor(position).astype(np.intp)
    above = np.minimum(below + 1, last)
    low = np.take_along_axis(ordered, below[..., None], axis=-1)[..., 0]
    high = np.take_along_axis(ordered, above[..., None], axis=-1)[..., 0]
    if halves:
        result = np.where(position == below, low, (low + high) / 2)
    else:
        weight = position - below
        result = low * (1.0 - weight) + high * weight
    return np.asarray(np.where(counts == 0, np.nan, result), dtype=np.float64)
