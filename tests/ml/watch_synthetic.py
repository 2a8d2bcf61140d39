"""Synthetic sensors for the watch tests (seeded, tz-aware UTC index, ``target`` column)."""

from __future__ import annotations

import numpy as np
import pandas as pd

ZONE = "Europe/Berlin"


def _local_hours(index: pd.DatetimeIndex) -> np.ndarray:
    local = index.tz_convert(ZONE)
    return np.asarray(local.hour + local.minute / 60.0, dtype=float)


def room(
    days: int, *, seed: int = 0, freq: str = "5min", start: str = "2026-01-05"
) -> pd.DataFrame:
    """Room temperature: 20 °C, +-1.5 °C daily swing peaking at 15:00, slow weather drift."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(
        start, periods=int(pd.Timedelta(days=days) / pd.Timedelta(freq)), freq=freq, tz="UTC"
    )
    daily = 1.5 * np.sin(2 * np.pi * (_local_hours(index) - 9) / 24)
    drift = np.cumsum(rng.normal(0, 0.02, len(index)))
    drift -= pd.Series(drift).rolling(len(index) // days * 3, min_periods=1).mean().to_numpy()
    return pd.DataFrame(
        {"target": 20 + daily + drift + rng.normal(0, 0.05, len(index))}, index=index
    )


def humidity(days: int, *, seed: int = 0) -> pd.DataFrame:
    """Bathroom humidity sampled irregularly (about every 3 min): 50 %, shower at 07:00."""
    rng = np.random.default_rng(seed)
    seconds = np.cumsum(rng.uniform(60, 300, int(days * 24 * 60 / 3 * 1.1)))
    seconds = seconds[seconds < days * 86400]
    index = pd.Timestamp("2026-03-02", tz="UTC") + pd.to_timedelta(seconds, unit="s")
    hours = _local_hours(pd.DatetimeIndex(index))
    since_shower = (hours - 7.0) % 24
    shower = np.where(
        since_shower < 0.25, 30 * since_shower / 0.25, 30 * np.exp(-(since_shower - 0.25) / 0.6)
    )
    values = 50 + shower + 3 * np.sin(2 * np.pi * hours / 24) + rng.normal(0, 0.4, len(index))
    return pd.DataFrame({"target": np.round(values, 1)}, index=pd.DatetimeIndex(index))


def freezer(days: int, *, seed: int = 0, failure_at: pd.Timestamp | None = None) -> pd.DataFrame:
    """Freezer at -18 °C with compressor cycles. Every two days or so, at a random time, the
    door is left ajar for 2-5 hours (+2 °C/h, then recovery). From ``failure_at`` on it warms
    by 2 °C/h for good."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2026-02-02", periods=days * 288, freq="5min", tz="UTC")
    minutes = np.arange(len(index)) * 5.0
    values = -18 + 0.6 * ((minutes % 40) / 40 - 0.5) + rng.normal(0, 0.05, len(index))
    warming = np.zeros(len(index), dtype=bool)
    start = int(rng.integers(100, 400))
    while start < len(index):
        warming[start : start + int(rng.integers(24, 61))] = True
        start += int(rng.integers(400, 750))
    if failure_at is not None:
        warming |= np.asarray(index >= failure_at)
    excess = np.zeros(len(index))
    for number in range(1, len(index)):
        previous = excess[number - 1]
        excess[number] = previous + 2.0 / 12 if warming[number] else previous * 0.85
    return pd.DataFrame({"target": values + excess}, index=index)


def battery(days: int, *, seed: int = 0) -> pd.DataFrame:
    """Hourly battery level: drains about 0.8 %/h (more in the evening), recharged to 100 %
    when it reaches 25 %."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2026-04-01", periods=days * 24, freq="h", tz="UTC")
    hours = _local_hours(index)
    level = 100.0
    values = []
    for hour in hours:
        level -= 0.6 + (0.6 if 18 <= hour < 23 else 0.0) + abs(rng.normal(0, 0.05))
        if level < 25:
            level = 100.0
        values.append(round(level, 1))
    return pd.DataFrame({"target": values}, index=index)


def soil(days: int, *, seed: int = 0) -> pd.DataFrame:
    """Soil moisture every 15 minutes: dries by day (sun), barely at night, watered to 45 %
    when under 22 %."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2026-06-01", periods=days * 96, freq="15min", tz="UTC")
    hours = _local_hours(index)
    sun = np.clip(np.sin(np.pi * (hours - 6) / 14), 0, None)
    level = 45.0
    values = []
    for strength in sun:
        level -= 0.01 + 0.12 * strength
        if level < 22:
            level = 45.0
        values.append(level + rng.normal(0, 0.05))
    return pd.DataFrame({"target": values}, index=index)
