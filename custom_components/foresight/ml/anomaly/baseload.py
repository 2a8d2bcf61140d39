"""Base load: the lowest hourly value of the last day, a very steady quantity in a home.

The fridge, standby devices and the like set a floor that moves little from day to day, so a
step of a few hundred watts in it (a heater or pump that no longer switches off) stands out
clearly after a day, even when each hour on its own looks ordinary.
"""

import numpy as np
import pandas as pd

from .robust import MAD_TO_SIGMA, FloatArray

WINDOW = 24
MIN_VALUES = 20
"""A base needs at least 20 of the last 24 hours."""
REFERENCE_HOURS = 14 * 24
"""The usual base is that of the last two weeks: it drifts with the seasons."""
SPREAD_HOURS = 8 * 168


def rolling_base(values: FloatArray) -> FloatArray:
    """Minimum of each 24-hour window of an hourly grid (NaN with too few values)."""
    series = pd.Series(values)
    return series.rolling(WINDOW, min_periods=MIN_VALUES).min().to_numpy(dtype=np.float64)


def base_floor_of(values: FloatArray) -> float:
    """Smallest base spread trusted: 2 % of the typical level."""
    finite = np.abs(values[np.isfinite(values)])
    return max(0.02 * float(np.median(finite)) if finite.size else 0.0, 1e-6)


def base_reference(base: FloatArray, floor: float) -> tuple[float, float]:
    """Typical base (last two weeks) and its spread (whole stretch) over hourly history.

    Returns:
        ``(median, spread)``; NaN median when there is no base yet.
    """
    recent = base[-REFERENCE_HOURS:]
    recent = recent[np.isfinite(recent)]
    finite = base[np.isfinite(base)]
    if recent.size < WINDOW:
        return float("nan"), floor
    median = float(np.median(recent))
    spread = float(np.median(np.abs(finite - median))) * MAD_TO_SIGMA
    return median, max(spread, floor)


def base_path(values: FloatArray, floor: float) -> FloatArray:
    """Standardized base deviation of every hour of a grid against the weeks before it."""
    base = pd.Series(rolling_base(values))
    reference = base.rolling(REFERENCE_HOURS, min_periods=7 * 24).median().shift(1)
    spread = (base - reference).abs().rolling(SPREAD_HOURS, min_periods=7 * 24).median()
    spread = (spread.shift(1) * MAD_TO_SIGMA).clip(lower=floor)
    return ((base - reference) / spread).to_numpy(dtype=np.float64)
