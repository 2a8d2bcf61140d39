"""The hours of the week that drive consumption.

Over the last four weeks, the mean energy of each local hour of the week (168 of them; hours
never seen are filled from the same hour of the other days). Candidate stretches are runs of
1 to 6 consecutive hours (not wrapping around midnight) on every day, on weekdays (Monday to Friday)
or on weekends (Saturday and Sunday). A stretch scores the energy it uses beyond what average
hours would use; the best stretches are taken greedily without overlapping (see
:func:`top_hours`) and each reports its share of all the week's energy, base load included.
"""

from __future__ import annotations

import numpy as np

from .prepare import PERIOD_DAYS, FloatArray, HourlyGrid
from .result import HourRange

HOURS_PER_WEEK = 168
MIN_DAYS = 14
"""Two weeks of the last four must have values for an hour-of-week profile."""
MIN_SLOT_COVERAGE = 0.9
MAX_RANGES = 3
MAX_HOURS = 6
"""A stretch is at most 6 hours long: "08:00-23:00" would say little about when."""
MIN_SHARE_PERCENT = 2.0
BALANCE = 0.5
DAY_GROUPS: dict[str, tuple[int, ...]] = {
    "every day": (0, 1, 2, 3, 4, 5, 6),
    "weekdays": (0, 1, 2, 3, 4),
    "weekends": (5, 6),
}


def week_profile(grid: HourlyGrid) -> FloatArray | None:
    """Mean kWh per local hour of the week over the last four weeks, shape (7, 24)."""
    recent = (grid.day >= -PERIOD_DAYS) & ~np.isnan(grid.values)
    if np.unique(grid.day[recent]).size < MIN_DAYS:
        return None
    slots = grid.hour_of_week[recent]
    counts = np.bincount(slots, minlength=HOURS_PER_WEEK)
    if np.mean(counts > 0) < MIN_SLOT_COVERAGE:
        return None
    sums = np.bincount(slots, weights=grid.values[recent], minlength=HOURS_PER_WEEK)
    table_sums, table_counts = sums.reshape(7, 24), counts.reshape(7, 24)
    with np.errstate(invalid="ignore", divide="ignore"):
        profile = table_sums / table_counts
        hour_mean = table_sums.sum(axis=0) / table_counts.sum(axis=0)
    hour_mean = np.where(np.isnan(hour_mean), sums.sum() / counts.sum(), hour_mean)
    profile = np.where(table_counts > 0, profile, hour_mean[None, :])
    return np.asarray(profile, dtype=np.float64)


def _candidates(profile: FloatArray, level: float) -> list[tuple[float, str, int, int]]:
    """Every stretch of each day group, scored by its energy above ``level`` per hour."""
    above = profile - level
    found: list[tuple[float, str, int, int]] = []
    for days, members in DAY_GROUPS.items():
        per_hour = above[list(members)].sum(axis=0)
        cumulative = np.concatenate(([0.0], np.cumsum(per_hour)))
        found.extend(
            (float(cumulative[end] - cumulative[start]), days, start, end)
            for start in range(24)
            for end in range(start + 1, min(start + MAX_HOURS, 24) + 1)
        )
    return found


def _balanced(profile: FloatArray, level: float, start: int, end: int) -> bool:
    """Whether weekdays and weekends both rise above ``level`` alike in these hours.

    An "every day" stretch must not hide that one of the two carries it: each must use at
    least half as much beyond ``level`` per day as the other.
    """
    weekdays = float((profile[list(DAY_GROUPS["weekdays"]), start:end] - level).mean())
    weekends = float((profile[list(DAY_GROUPS["weekends"]), start:end] - level).mean())
    return min(weekdays, weekends) >= BALANCE * max(weekdays, weekends)


def top_hours(profile: FloatArray, base_kwh: float | None) -> tuple[HourRange, ...]:
    """The stretches of the week that use most energy beyond an average hour, largest first.

    Greedy: the stretch (day group and consecutive hours) with the most energy above the
    week's average hour wins, its hours of the week are taken, and the next best stretch not
    touching them follows, while the score stays positive. So a weekday-only evening peak is
    reported for weekdays (adding weekend evenings that use less than an average hour lowers
    its score; and an "every day" stretch needs weekdays and weekends to rise alike), and
    night-time heating on all days as every day. The result is ordered by share, largest first.

    Args:
        profile: Mean kWh per (weekday, hour), shape (7, 24).
        base_kwh: Base load in kWh per hour (reported stretches must rise above it).
    """
    weekly = float(profile.sum())
    if not weekly > 0:
        return ()
    average_hour = weekly / profile.size
    base = float(np.min(profile)) if base_kwh is None else base_kwh
    taken = np.zeros(profile.shape, dtype=bool)
    chosen: list[HourRange] = []
    for score, days, start, end in sorted(_candidates(profile, average_hour), reverse=True):
        if score <= 0.0 or len(chosen) == MAX_RANGES:
            break
        cells = np.zeros(profile.shape, dtype=bool)
        cells[list(DAY_GROUPS[days]), start:end] = True
        if (
            (taken & cells).any()
            or not float(profile[cells].mean()) > base
            or (days == "every day" and not _balanced(profile, average_hour, start, end))
        ):
            continue
        taken |= cells
        share = 100.0 * float(profile[cells].sum()) / weekly
        if share >= MIN_SHARE_PERCENT:
            chosen.append(HourRange(days, start, end, round(share, 1)))
    return tuple(sorted(chosen, key=lambda hours: -hours.share_percent))
