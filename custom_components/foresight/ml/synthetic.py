"""A seeded, realistic synthetic home for tests and demos.

Hourly energy (kWh) of a household: a base load, occupancy-driven use (mornings and evenings
on weekdays, most of the day at weekends), random appliance runs, electric heating that grows
as the outdoor temperature falls, sensor noise and gaps. Returned in the project's input
convention (tz-aware UTC hourly index, ``target`` with NaN gaps, one column per sensor).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Temperature below which the home heats, in degrees Celsius.
HEATING_THRESHOLD_C = 16.0


def _outdoor_temperature(
    local: pd.DatetimeIndex, rng: np.random.Generator, mean_c: float
) -> np.ndarray:
    """Seasonal and daily cycle plus slowly wandering weather."""
    day = local.dayofyear.to_numpy(dtype=float)
    hour = local.hour.to_numpy(dtype=float)
    seasonal = mean_c - 9.0 * np.cos(2 * np.pi * (day - 20) / 365.25)
    daily = -3.0 * np.cos(2 * np.pi * (hour - 3) / 24)
    weather = np.cumsum(rng.normal(0.0, 0.35, len(local)))
    # Pull the random walk back so weather anomalies last days, not months.
    weather -= pd.Series(weather).rolling(24 * 10, min_periods=1).mean().to_numpy()
    return seasonal + daily + weather


def _occupancy(local: pd.DatetimeIndex, rng: np.random.Generator) -> np.ndarray:
    """Probability-like presence: weekdays out 8-17, weekends mostly home, some holidays."""
    hour = local.hour.to_numpy()
    weekend = local.dayofweek.to_numpy() >= 5
    awake = (hour >= 7) & (hour <= 22)
    at_work = (~weekend) & (hour >= 8) & (hour < 17)
    presence = np.where(awake & ~at_work, 1.0, np.where(at_work, 0.1, 0.3))
    # A few away weeks: the home is nearly empty.
    days = local.normalize()
    unique_days = days.unique()
    away_days = unique_days[rng.random(len(unique_days)) < 0.01]
    away = days.isin(pd.DatetimeIndex(away_days).union(away_days + pd.Timedelta(days=1)))
    return np.where(away, 0.05, presence)


def synthetic_home(
    days: int = 120,
    *,
    start: str = "2025-01-06",
    time_zone: str = "Europe/Berlin",
    seed: int = 0,
    gap_fraction: float = 0.02,
    mean_temperature_c: float = 10.0,
) -> pd.DataFrame:
    """Generate a synthetic household's hourly history.

    Args:
        days: Length of the history in days.
        start: Local start date.
        time_zone: Home's IANA time zone.
        seed: Random seed; the same arguments give the same frame.
        gap_fraction: Share of hours dropped in outages of a few hours (missing rows).
        mean_temperature_c: Yearly mean outdoor temperature.

    Returns:
        Frame with columns ``target`` (kWh), ``outdoor_temp`` (degrees C) and
        ``occupancy`` (0-1), indexed by tz-aware UTC hours, with gaps as missing rows.
    """
    rng = np.random.default_rng(seed)
    local_start = pd.Timestamp(start, tz=time_zone)
    index = pd.date_range(local_start.tz_convert("UTC"), periods=days * 24, freq="h")
    local = index.tz_convert(time_zone)
    temperature = _outdoor_temperature(local, rng, mean_temperature_c)
    occupancy = _occupancy(local, rng)
    hour = local.hour.to_numpy()
    evening = np.exp(-0.5 * ((hour - 19.5) / 2.0) ** 2)
    morning = np.exp(-0.5 * ((hour - 7.0) / 1.0) ** 2)
    base = 0.25 + 0.05 * rng.standard_normal(len(index)).cumsum().clip(-2, 2) / 10
    use = occupancy * (0.3 + 0.9 * evening + 0.5 * morning)
    appliances = (rng.random(len(index)) < 0.06 * (0.2 + occupancy)) * rng.gamma(
        2.0, 0.6, len(index)
    )
    heating = 0.09 * np.maximum(HEATING_THRESHOLD_C - temperature, 0.0) * (0.6 + 0.4 * occupancy)
    noise = rng.normal(0.0, 0.05, len(index))
    target = np.maximum(base + use + appliances + heating + noise, 0.02)
    frame = pd.DataFrame(
        {
            "target": target,
            "outdoor_temp": temperature + rng.normal(0.0, 0.3, len(index)),
            "occupancy": np.clip(occupancy + rng.normal(0.0, 0.05, len(index)), 0.0, 1.0),
        },
        index=index,
    )
    return _drop_outages(frame, rng, gap_fraction)


def _drop_outages(frame: pd.DataFrame, rng: np.random.Generator, fraction: float) -> pd.DataFrame:
    """Drop runs of 1-12 hours until about ``fraction`` of the rows are gone."""
    keep = np.ones(len(frame), dtype=bool)
    to_drop = int(fraction * len(frame))
    while (~keep).sum() < to_drop:
        begin = int(rng.integers(0, len(frame)))
        keep[begin : begin + int(rng.integers(1, 13))] = False
    return frame[keep]
