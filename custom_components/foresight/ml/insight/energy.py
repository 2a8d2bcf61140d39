"""Put the pieces together: base load, weather, trend and hours, plus the sentences."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .baseload import annual_kwh, daily_bases, week_base_w, week_noise_w, without_weather
from .hours import MIN_DAYS, top_hours, week_profile
from .prepare import PERIOD_DAYS, FloatArray, HourlyGrid, daily_table, hourly_grid
from .result import EnergyInsight
from .text import base_load_text, degree_day_text, hours_text, too_little_data, trend_text
from .weather import (
    COOLING_BASE_C,
    HEATING_BASE_C,
    WeatherFit,
    degree_days,
    fit_weather,
    hourly_degree_days,
    raw_trend,
)

MIN_CORRECTED_BASE_W = 0.0
"""A weather-corrected base load must be above this to be believed (else the plain one)."""


def _has_weather_terms(weather: WeatherFit | None) -> bool:
    return weather is not None and (
        weather.heating_kwh_per_degree_day is not None
        or weather.cooling_kwh_per_degree_day is not None
    )


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def _empty(days: int, text: str) -> EnergyInsight:
    return EnergyInsight(
        base_load_w=None,
        base_load_month_ago_w=None,
        base_load_change_w=None,
        base_load_change_kwh_per_year=None,
        kwh_per_heating_degree_day=None,
        kwh_per_cooling_degree_day=None,
        heating_base_c=None,
        cooling_base_c=None,
        trend_percent=None,
        trend_kwh_per_day=None,
        weather_normalised=False,
        top_hours=(),
        text=text,
        days_of_data=days,
    )


def _weather(grid: HourlyGrid) -> WeatherFit | None:
    if grid.temperature is None:
        return None
    table = daily_table(grid)
    heating, cooling = degree_days(grid, grid.temperature)
    return fit_weather(
        table.kwh, table.day.astype(np.float64), table.weekend.astype(np.float64), heating, cooling
    )


def _without_weather(grid: HourlyGrid, weather: WeatherFit | None) -> FloatArray | None:
    """Hourly values with the weather's share taken off (for the base load); ``None`` if none."""
    if weather is None or grid.temperature is None:
        return None
    heating, cooling = hourly_degree_days(grid.temperature)
    terms = [
        (slope, hourly)
        for slope, hourly in (
            (weather.heating_kwh_per_degree_day, heating),
            (weather.cooling_kwh_per_degree_day, cooling),
        )
        if slope is not None
    ]
    return without_weather(grid, grid.values, terms) if terms else None


def _base_loads(
    grid: HourlyGrid, weather: WeatherFit | None
) -> tuple[float | None, float | None, bool, float | None]:
    """Base load now and 4 weeks earlier, weather taken off or not, and the change's noise.

    All in W; the change is "about the same" within three times its noise.

    The weather-corrected figures are used unless one of them is not positive (the correction
    took more off the lowest hours than they used) or neither is known: then both weeks fall
    back to the plain base (see :mod:`.baseload`).
    """
    adjusted = _without_weather(grid, weather)
    if adjusted is not None:
        bases = daily_bases(grid, adjusted)
        now_w, before_w = week_base_w(bases, -1), week_base_w(bases, -1 - PERIOD_DAYS)
        known = [value for value in (now_w, before_w) if value is not None]
        if known and all(value > MIN_CORRECTED_BASE_W for value in known):
            return now_w, before_w, True, _change_noise(bases)
    bases = daily_bases(grid, grid.values)
    now_w, before_w = week_base_w(bases, -1), week_base_w(bases, -1 - PERIOD_DAYS)
    return now_w, before_w, False, _change_noise(bases)


def _change_noise(bases: FloatArray) -> float | None:
    now, before = week_noise_w(bases, -1), week_noise_w(bases, -1 - PERIOD_DAYS)
    if now is None or before is None:
        return None
    return float(np.hypot(now, before))


def energy_insight(
    frame: pd.DataFrame,
    *,
    time_zone: str,
    now: pd.Timestamp,
    temperature_column: str | None = None,
) -> EnergyInsight:
    """Trend and drift of an energy meter over the last 8 complete local weeks before ``now``.

    Never raises on gaps, NaN, spikes or empty frames: what cannot be said is ``None`` and the
    text says what data it needs. (An unknown ``time_zone`` is a programming error and raises
    as pandas does.)

    Args:
        frame: Hourly energy, tz-aware index, ``target`` in kWh per hour, optional boolean
            ``excluded`` and outdoor temperature column.
        time_zone: The home's IANA time zone (local days and hours of the week).
        now: The moment of the analysis; only complete local days before its date count.
        temperature_column: Name of the outdoor temperature column (degC), if any.

    Returns:
        The insight. ``heating_base_c`` and ``cooling_base_c`` are set when the degree-day
        model was fitted (even if neither slope was found), otherwise ``None``.
    """
    temperature_given = temperature_column is not None
    grid = hourly_grid(frame, time_zone=time_zone, now=now, temperature_column=temperature_column)
    if grid is None:
        return _empty(0, too_little_data(0))
    table = daily_table(grid)
    days = int(np.isfinite(table.kwh).sum())
    if days < MIN_DAYS:
        return _empty(days, too_little_data(days))

    weather = _weather(grid)
    base_now, base_before, corrected, noise = _base_loads(grid, weather)
    change = None if base_now is None or base_before is None else base_now - base_before

    raw = raw_trend(table.kwh, table.day.astype(np.float64))
    normalised = weather is not None and weather.trend_kwh_per_day is not None
    if normalised and weather is not None:
        trend_kwh, trend_percent = weather.trend_kwh_per_day, weather.trend_percent
    else:
        trend_kwh = None if raw is None else raw.kwh_per_day
        trend_percent = None if raw is None else raw.percent

    profile = week_profile(grid)
    hours = (
        ()
        if profile is None
        else top_hours(profile, None if base_now is None else base_now / 1000.0)
    )
    heating = None if weather is None else weather.heating_kwh_per_degree_day
    cooling = None if weather is None else weather.cooling_kwh_per_degree_day
    sentences = [
        base_load_text(
            base_now,
            base_before,
            weather_known=weather is not None,
            fell_back=not corrected and _has_weather_terms(weather),
            noise_w=noise,
        ),
        trend_text(
            trend_percent,
            trend_kwh,
            weather_normalised=normalised,
            raw_percent=None if raw is None else raw.percent,
            temperature_given=temperature_given,
        ),
        degree_day_text(heating, cooling),
        hours_text(hours, profile is not None),
    ]
    return EnergyInsight(
        base_load_w=_round(base_now, 1),
        base_load_month_ago_w=_round(base_before, 1),
        base_load_change_w=_round(change, 1),
        base_load_change_kwh_per_year=None if change is None else round(annual_kwh(change), 1),
        kwh_per_heating_degree_day=_round(heating, 3),
        kwh_per_cooling_degree_day=_round(cooling, 3),
        heating_base_c=HEATING_BASE_C if weather is not None else None,
        cooling_base_c=COOLING_BASE_C if weather is not None else None,
        trend_percent=_round(trend_percent, 1),
        trend_kwh_per_day=_round(trend_kwh, 3),
        weather_normalised=normalised,
        top_hours=hours,
        text=" ".join(sentence for sentence in sentences if sentence),
        raw_trend_percent=None if raw is None else _round(raw.percent, 1),
        raw_trend_kwh_per_day=None if raw is None else _round(raw.kwh_per_day, 3),
        days_of_data=days,
        base_load_weather_corrected=corrected,
    )
