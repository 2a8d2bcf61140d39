"""Synthetic data shared by the anomaly tests (no tests here)."""

import numpy as np
import pandas as pd

ZONE = "Europe/Berlin"

# A household's typical shape over the local day, in kWh above the base load.
DAY_SHAPE = np.array(
    [
        *(0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.5, 0.9, 0.6, 0.3, 0.3, 0.4),
        *(0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 1.4, 1.6, 1.2, 0.8, 0.4, 0.1),
    ]
)


def household(weeks: int = 10, seed: int = 0, start: str = "2025-01-06") -> pd.DataFrame:
    """Hourly household energy: base load, daily shape, multiplicative noise."""
    index = pd.date_range(start, periods=weeks * 168, freq="h", tz="UTC")
    rng = np.random.default_rng(seed)
    hour = np.asarray(index.tz_convert(ZONE).hour)
    base = 0.3 + rng.normal(0.0, 0.01, len(index))
    value = base + DAY_SHAPE[hour] * rng.lognormal(0.0, 0.35, len(index))
    return pd.DataFrame({"target": value}, index=index)


def temperature(hours: float = 6.0, step_seconds: int = 5, seed: int = 1) -> pd.DataFrame:
    """A room temperature sampled every few seconds: slow drift, noise, 0.01 resolution."""
    count = int(hours * 3600 / step_seconds)
    index = pd.date_range("2025-03-01", periods=count, freq=f"{step_seconds}s", tz="UTC")
    rng = np.random.default_rng(seed)
    t = np.arange(count) * step_seconds
    slow = 21.0 + 0.8 * np.sin(2 * np.pi * t / (4 * 3600))
    value = np.round(slow + rng.normal(0.0, 0.05, count), 2)
    humidity = np.round(45.0 - 3.0 * (slow - 21.0) + rng.normal(0.0, 0.2, count), 1)
    return pd.DataFrame({"target": value, "humidity": humidity}, index=index)
