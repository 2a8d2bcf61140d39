"""Weather-normalised consumption: daily energy against heating and cooling degree-days.

Degree-days come from hourly temperatures (the integration method): a day's heating
degree-days are the mean over its hours of ``max(15.5 - T, 0)``, cooling degree-days of
``max(T - 22, 0)``, so a day that is cold at night and warm in the afternoon counts both. The
base temperatures are the usual fixed ones (15.5 degC heating, as in UK/EU degree-day
statistics; 22 degC cooling), not fitted: with eight weeks of data a fitted base trades off
against the slope and wanders.

The model, fitted robustly (:func:`.regression.robust_fit`) over the days of the last eight
weeks with a known total and temperature::

    kWh(day) = a + w * weekend + r * recent + h * HDD + c * CDD

``recent`` is 1 for the last four weeks, so ``r`` is the change between the two periods at
equal weather (and equal weekday mix), and ``h`` and ``c`` come from the day-to-day weather
within each period. A degree-day term takes part only with enough support (5 days with some
degree-days and 10 degree-days in all) and is dropped again when its slope is not clearly
positive (three standard errors): a spurious slope would also bias the weather-adjusted base
load (:mod:`.baseload`).
The trend in percent is ``r`` over what the last four weeks would have used with the earlier
behaviour, at their own weather.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .prepare import PERIOD_DAYS, FloatArray, HourlyGrid, daily_mean
from .regression import robust_fit

HEATING_BASE_C = 15.5
COOLING_BASE_C = 22.0
MIN_DEGREE_DAYS = 10.0
MIN_DEGREE_DAY_DAYS = 5
DEGREE_DAY_PRESENT = 0.5
MIN_PERIOD_DAYS = 10
"""Each four-week period needs 10 known days for a trend."""
MIN_FIT_DAYS = 14
MIN_T_VALUE = 3.0
"""A degree-day slope must be positive and three standard errors away from zero."""


@dataclass(frozen=True, slots=True)
class WeatherFit:
    """What the degree-day model says (``None`` where the data do not tell).

    Attributes:
        heating_kwh_per_degree_day: Slope on heating degree-days.
        cooling_kwh_per_degree_day: Slope on cooling degree-days.
        trend_kwh_per_day: Last four weeks minus the four before, at equal weather.
        trend_percent: The same in percent of the weather-adjusted earlier level.
    """

    heating_kwh_per_degree_day: float | None
    cooling_kwh_per_degree_day: float | None
    trend_kwh_per_day: float | None
    trend_percent: float | None


@dataclass(frozen=True, slots=True)
class Trend:
    """A change between the last four weeks and the four before."""

    kwh_per_day: float
    percent: float | None


def hourly_degree_days(temperature: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Each hour's heating and cooling degree-days (degrees below/above base, over 24).

    ``np.maximum`` keeps NaN, so unknown hours stay unknown.
    """
    heating = np.maximum(HEATING_BASE_C - temperature, 0.0) / 24.0
    cooling = np.maximum(temperature - COOLING_BASE_C, 0.0) / 24.0
    return heating, cooling


def degree_days(grid: HourlyGrid, temperature: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Heating and cooling degree-days per local day of the window (NaN where unknown)."""
    heating, cooling = hourly_degree_days(temperature)
    return 24.0 * daily_mean(grid, heating), 24.0 * daily_mean(grid, cooling)


def _supported(degree_days_per_day: FloatArray) -> bool:
    present = int(np.sum(degree_days_per_day > DEGREE_DAY_PRESENT))
    return present >= MIN_DEGREE_DAY_DAYS and float(np.sum(degree_days_per_day)) >= MIN_DEGREE_DAYS


def raw_trend(kwh: FloatArray, day: FloatArray) -> Trend | None:
    """Mean daily energy of the last four weeks against the four before (no weather)."""
    recent = kwh[(day >= -PERIOD_DAYS) & np.isfinite(kwh)]
    earlier = kwh[(day < -PERIOD_DAYS) & np.isfinite(kwh)]
    if recent.size < MIN_PERIOD_DAYS or earlier.size < MIN_PERIOD_DAYS:
        return None
    change = float(np.mean(recent) - np.mean(earlier))
    level = float(np.mean(earlier))
    return Trend(change, 100.0 * change / level if level > 0 else None)


def fit_weather(
    kwh: FloatArray,
    day: FloatArray,
    weekend: FloatArray,
    heating_dd: FloatArray,
    cooling_dd: FloatArray,
) -> WeatherFit | None:
    """Fit the degree-day model over the window's days; ``None`` with under 14 usable days."""
    usable = np.isfinite(kwh) & np.isfinite(heating_dd) & np.isfinite(cooling_dd)
    if int(usable.sum()) < MIN_FIT_DAYS:
        return None
    y = kwh[usable]
    recent = (day[usable] >= -PERIOD_DAYS).astype(np.float64)
    with_trend = MIN_PERIOD_DAYS <= int(recent.sum()) <= recent.size - MIN_PERIOD_DAYS
    terms = {
        "heating": heating_dd[usable] if _supported(heating_dd[usable]) else None,
        "cooling": cooling_dd[usable] if _supported(cooling_dd[usable]) else None,
    }
    columns: dict[str, FloatArray] = {"intercept": np.ones(y.size)}
    weekend_used = weekend[usable].astype(np.float64)
    if 3 <= weekend_used.sum() <= weekend_used.size - 3:
        columns["weekend"] = weekend_used
    if with_trend:
        columns["recent"] = recent
    while True:
        active = {name: values for name, values in terms.items() if values is not None}
        names = [*columns, *active]
        design = np.column_stack([*columns.values(), *active.values()])
        fitted, errors = robust_fit(design, y)
        coefficients = dict(zip(names, fitted, strict=True))
        spread = dict(zip(names, errors, strict=True))
        dropped = [
            name
            for name in active
            if not coefficients[name] > MIN_T_VALUE * spread[name]  # also drops NaN
        ]
        if not dropped:
            break
        for name in dropped:
            terms[name] = None
    trend_kwh = trend_percent = None
    if with_trend:
        trend_kwh = coefficients["recent"]
        without_change = design[recent == 1.0] @ np.array(
            [0.0 if name == "recent" else coefficients[name] for name in names]
        )
        level = float(np.mean(without_change))
        trend_percent = 100.0 * trend_kwh / level if level > 0 else None
    return WeatherFit(
        heating_kwh_per_degree_day=coefficients.get("heating"),
        cooling_kwh_per_degree_day=coefficients.get("cooling"),
        trend_kwh_per_day=trend_kwh,
        trend_percent=trend_percent,
    )
