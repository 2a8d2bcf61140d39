"""A synthetic home whose base load, degree-day slopes, step and evening peak are known.

Hourly energy (kWh) = base load (a constant, plus a step some days before the end)
+ heating ``h * max(15.5 - T, 0) / 24`` + cooling ``c * max(T - 22, 0) / 24`` per hour (so a
day's heating is exactly ``h`` times its integrated heating degree-days) + a weekday evening
peak (18:00-21:00 local) + a little morning and weekend daytime use + rare appliance runs in
waking hours. Nights hold only the base load and the weather's share, so the base is
recoverable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

HEATING_BASE_C = 15.5
COOLING_BASE_C = 22.0


@dataclass(frozen=True, slots=True)
class HomeTruth:
    """What the synthetic home was built with."""

    base_w: float
    step_w: float
    step_days_ago: int
    heating_kwh_per_dd: float
    cooling_kwh_per_dd: float
    evening_kwh: float
    time_zone: str
    now: pd.Timestamp

    @property
    def base_now_w(self) -> float:
        """Base load after the step."""
        return self.base_w + self.step_w


def insight_home(
    *,
    days: int = 70,
    end: str = "2026-03-02",
    time_zone: str = "Europe/Berlin",
    seed: int = 0,
    base_w: float = 150.0,
    step_w: float = 0.0,
    step_days_ago: int = 28,
    heating_kwh_per_dd: float = 2.0,
    cooling_kwh_per_dd: float = 0.0,
    evening_kwh: float = 0.8,
    daily_mean_c: Callable[[np.ndarray], np.ndarray] | None = None,
    gap_fraction: float = 0.0,
) -> tuple[pd.DataFrame, HomeTruth]:
    """Build the home's hourly frame (UTC index, ``target``, ``outdoor_temp``) and its truth.

    Args:
        days: Whole local days of history, ending at local midnight of ``end`` (= ``now``).
        end: Local date that is "today".
        time_zone: The home's time zone.
        seed: Random seed.
        base_w: Base load before the step, in W.
        step_w: Base load change ``step_days_ago`` days before the end, in W.
        step_days_ago: When the step happens (days before ``end``).
        heating_kwh_per_dd: kWh per heating degree-day below 15.5 degC.
        cooling_kwh_per_dd: kWh per cooling degree-day above 22 degC.
        evening_kwh: Extra kWh per hour on weekdays 18:00-21:00.
        daily_mean_c: Daily mean temperature per day offset (-days ... -1); 5 degC if None.
        gap_fraction: Share of hours removed (runs of 1-8 hours).
    """
    rng = np.random.default_rng(seed)
    today = pd.Timestamp(end).tz_localize(time_zone, nonexistent="shift_forward")
    first = (pd.Timestamp(end) - pd.Timedelta(days=days)).tz_localize(
        time_zone, nonexistent="shift_forward"
    )
    index = pd.date_range(
        first.tz_convert("UTC").ceil("h"),
        today.tz_convert("UTC").ceil("h"),
        freq="h",
        inclusive="left",
    )
    local = index.tz_convert(time_zone)
    offset = (
        (local.tz_localize(None).normalize() - today.tz_localize(None)) // pd.Timedelta(days=1)
    ).to_numpy()
    hour = local.hour.to_numpy()
    weekday = local.dayofweek.to_numpy()

    day_offsets = np.arange(-days, 0)
    means = daily_mean_c(day_offsets) if daily_mean_c is not None else np.full(days, 5.0)
    daily_anomaly = rng.normal(0.0, 2.5, days)
    temperature = (
        (means + daily_anomaly)[offset + days]
        - 3.0 * np.cos(2 * np.pi * (hour - 3) / 24)
        + rng.normal(0.0, 0.3, len(index))
    )

    base = np.where(offset >= -step_days_ago, base_w + step_w, base_w) / 1000.0
    base = base * (1.0 + rng.normal(0.0, 0.01, len(index)))
    heating = heating_kwh_per_dd * np.maximum(HEATING_BASE_C - temperature, 0.0) / 24.0
    cooling = cooling_kwh_per_dd * np.maximum(temperature - COOLING_BASE_C, 0.0) / 24.0
    workday = weekday < 5
    evening = workday & (hour >= 18) & (hour < 21)
    use = np.where(evening, evening_kwh * (1.0 + rng.normal(0.0, 0.1, len(index))), 0.0)
    use += np.where(workday & (hour == 7), 0.3, 0.0)
    use += np.where(~workday & (hour >= 9) & (hour < 22), 0.15, 0.0)
    awake = (hour >= 7) & (hour < 23)
    use += awake * (rng.random(len(index)) < 0.04) * rng.gamma(2.0, 0.3, len(index))
    target = base + heating + cooling + use
    frame = pd.DataFrame({"target": target, "outdoor_temp": temperature}, index=index)
    if gap_fraction > 0:
        keep = np.ones(len(frame), dtype=bool)
        while (~keep).mean() < gap_fraction:
            start = int(rng.integers(0, len(frame)))
            keep[start : start + int(rng.integers(1, 9))] = False
        frame = frame[keep]
    truth = HomeTruth(
        base_w=base_w,
        step_w=step_w,
        step_days_ago=step_days_ago,
        heating_kwh_per_dd=heating_kwh_per_dd,
        cooling_kwh_per_dd=cooling_kwh_per_dd,
        evening_kwh=evening_kwh,
        time_zone=time_zone,
        now=today,
    )
    return frame, truth


def cold_then_mild(day_offsets: np.ndarray) -> np.ndarray:
    """Two cold months (about 1 degC), then four mild weeks (about 10 degC)."""
    return np.where(day_offsets >= -28, 10.0, 1.0)
