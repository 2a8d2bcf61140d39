"""Self-contained expectation model for hourly energy: a robust hour-of-week profile.

For each hour of the week (local time, so that "Tuesday 14:00" means what the household
means) the median of the last few weeks gives the typical value; the median deviation of the
last three days shifts it to the current level (seasons drift); the spread of the deviations
for the same hour of the day gives the P10/P90 band. Medians keep single odd hours from
moving the profile, and the detector keeps anomalous hours out of the history.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd

from .robust import FloatArray, nan_quantile, nan_quantile_rows
from .status import Expectation

type IntArray = npt.NDArray[np.int64]

HOURS_PER_WEEK = 168
MIN_VALUES = 48
"""Fewer hours than two days give no profile at all."""
LEVEL_HOURS = 72
"""The level shift follows the last three days, so seasons and lasting changes are tracked."""
MIN_LEVEL_VALUES = 24
"""Fewer of those hours than a day give no level shift."""
RECENT_WEIGHT = 0.5
"""Share of the last seven days' same-hour median in the expectation."""
MIN_SLOT_VALUES = 2
"""An hour-of-week slot with fewer values borrows the hour-of-day median."""


def local_slots(hours: IntArray, zone: ZoneInfo) -> tuple[IntArray, IntArray]:
    """Local hour-of-week (0 = Monday 00:00) and hour-of-day of UTC hour numbers.

    Args:
        hours: Hours since the Unix epoch (UTC).
        zone: The household's time zone.

    Returns:
        ``(hour_of_week, hour_of_day)`` arrays.
    """
    index = pd.to_datetime(hours * 3600, unit="s", utc=True).tz_convert(zone)
    hour_of_day = np.asarray(index.hour, dtype=np.int64)
    return np.asarray(index.dayofweek, dtype=np.int64) * 24 + hour_of_day, hour_of_day


def local_slot(hour: int, zone: ZoneInfo) -> tuple[int, int]:
    """Local hour-of-week and hour-of-day of one UTC hour number (fast path for scoring)."""
    local = datetime.fromtimestamp(hour * 3600, tz=zone)
    return local.weekday() * 24 + local.hour, local.hour


@dataclass(frozen=True, slots=True)
class HourlyProfile:
    """Typical value per local hour of the week plus a band per hour of the day.

    Attributes:
        median: Typical value per hour-of-week slot (168), before the level shift.
        low: P10 of the deviations per hour of the day (24), relative to the median.
        high: P90 of the deviations per hour of the day (24).
        level: Recent level shift added to every median.
    """

    median: FloatArray
    low: FloatArray
    high: FloatArray
    level: float

    def expect(self, slot: int, hour_of_day: int) -> Expectation:
        """The band for one hour."""
        center = float(self.median[slot]) + self.level
        return Expectation(
            p10=center + float(self.low[hour_of_day]),
            p50=center,
            p90=center + float(self.high[hour_of_day]),
        )

    def expect_many(self, slots: IntArray, hours_of_day: IntArray) -> FloatArray:
        """Bands for many hours as an ``(n, 3)`` array of P10, P50, P90."""
        center = self.median[slots] + self.level
        return np.column_stack(
            (center + self.low[hours_of_day], center, center + self.high[hours_of_day])
        )


def build_profile(
    hours: IntArray,
    values: FloatArray,
    slots: IntArray,
    hours_of_day: IntArray,
    *,
    now_hour: int,
    weeks: int,
    with_band: bool = True,
) -> HourlyProfile | None:
    """Fit the profile on the ``weeks`` weeks before ``now_hour``.

    Args:
        hours: Hour numbers of the history.
        values: Values (NaN for hours not to learn from).
        slots: Local hour-of-week of each hour.
        hours_of_day: Local hour-of-day of each hour.
        now_hour: The first hour the profile will be used for; only earlier hours are used.
        weeks: How many weeks to look back.
        with_band: Also fit the P10/P90 band (the replay during fitting needs only medians).

    Returns:
        The profile, or ``None`` with less than two days of usable history.
    """
    keep = (hours < now_hour) & (hours >= now_hour - weeks * HOURS_PER_WEEK) & np.isfinite(values)
    if int(np.sum(keep)) < MIN_VALUES:
        return None
    hour, value, slot, hod = hours[keep], values[keep], slots[keep], hours_of_day[keep]
    age_hours = now_hour - 1 - hour
    by_slot = np.full((HOURS_PER_WEEK, weeks), np.nan)
    by_slot[slot, age_hours // HOURS_PER_WEEK] = value
    median = nan_quantile_rows(by_slot, 0.5)
    by_hour = np.full((24, weeks * 7), np.nan)
    by_hour[hod, age_hours // 24] = value
    thin = np.sum(np.isfinite(by_slot), axis=1) < MIN_SLOT_VALUES
    if thin.any():  # young history or gaps: borrow the hour-of-day median
        hour_median = nan_quantile_rows(by_hour, 0.5)
        hour_median = np.where(np.isnan(hour_median), float(np.median(value)), hour_median)
        median = np.where(thin, hour_median[np.arange(HOURS_PER_WEEK) % 24], median)
    # Households follow their recent days as much as their usual week: blend in the median of
    # the same hour over the last seven days.
    last_week = nan_quantile_rows(by_hour[:, :7], 0.5)[np.arange(HOURS_PER_WEEK) % 24]
    median = np.where(
        np.isfinite(last_week), RECENT_WEIGHT * last_week + (1 - RECENT_WEIGHT) * median, median
    )

    deviation = value - median[slot]
    recent = deviation[age_hours < LEVEL_HOURS]
    level = float(np.median(recent)) if recent.size >= MIN_LEVEL_VALUES else 0.0
    if not with_band:
        return HourlyProfile(median=median, low=np.zeros(24), high=np.zeros(24), level=level)
    by_hour_dev = np.full((24, weeks * 7), np.nan)
    by_hour_dev[hod, age_hours // 24] = deviation
    low = nan_quantile_rows(by_hour_dev, 0.1)
    high = nan_quantile_rows(by_hour_dev, 0.9)
    low = np.where(np.isnan(low), nan_quantile(deviation, 0.1), low)
    high = np.where(np.isnan(high), nan_quantile(deviation, 0.9), high)
    return HourlyProfile(median=median, low=low, high=high, level=level)


REFIT_HOURS = 24
"""The profile is refitted once a day on the history before that day."""
