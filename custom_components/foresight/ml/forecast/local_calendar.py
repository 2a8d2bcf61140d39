"""Calendar facts of each hour, in the home's local time.

Public holidays come from the ``holidays`` package when it is installed and knows the country;
otherwise no day is a holiday, which is the honest fallback.
"""

from __future__ import annotations

from dataclasses import dataclass
import datetime as dt
import functools
import importlib

import numpy as np
import numpy.typing as npt
import pandas as pd

type IntArray = npt.NDArray[np.int64]
type BoolArray = npt.NDArray[np.bool_]
type FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class CalendarColumns:
    """Local calendar facts per hour.

    Attributes:
        hour: Local hour of day, 0-23.
        weekday: Local day of week, Monday = 0.
        holiday: Whether the local date is a public holiday.
        year_angle: Position in the year in radians, for smooth season features.
    """

    hour: IntArray
    weekday: IntArray
    holiday: BoolArray
    year_angle: FloatArray


@functools.lru_cache(maxsize=32)
def holiday_dates(
    country: str | None, subdivision: str | None, years: tuple[int, ...]
) -> frozenset[dt.date]:
    """Public holidays of a country in the given years (empty when unknown).

    Cached because building a holiday calendar costs far more than a forecast.
    """
    if not country:
        return frozenset()
    try:
        holidays = importlib.import_module("holidays")
        calendar = holidays.country_holidays(country, subdiv=subdivision, years=list(years))
    except ImportError, NotImplementedError, KeyError, ValueError:
        # The package is optional and does not know every country or region.
        return frozenset()
    return frozenset(calendar.keys())


def calendar_columns(
    index: pd.DatetimeIndex,
    time_zone: str,
    country: str | None = None,
    subdivision: str | None = None,
) -> CalendarColumns:
    """Compute the local calendar facts of each hour of a UTC index."""
    local = index.tz_convert(time_zone)
    holiday = np.zeros(len(index), dtype=bool)
    if country:
        years = tuple(sorted({int(year) for year in local.year.unique()}))
        holidays = holiday_dates(country, subdivision, years)
        if holidays:
            dates = local.tz_localize(None).normalize()
            holiday = np.asarray(dates.isin(pd.DatetimeIndex(sorted(holidays))), dtype=bool)
    day_of_year = local.dayofyear.to_numpy(dtype=float) - 1.0 + local.hour.to_numpy() / 24.0
    return CalendarColumns(
        hour=local.hour.to_numpy(dtype=np.int64),
        weekday=local.dayofweek.to_numpy(dtype=np.int64),
        holiday=holiday,
        year_angle=2.0 * np.pi * day_of_year / 365.25,
    )
