"""Persistent excess: every one of the last few hours clearly above the expected median.

A stuck-on appliance (a heater, a dryer) adds the same power hour after hour. The household's
own peaks (cooking, washing, the water heater) come and go, so the smallest residual of three
consecutive hours rarely stays high, while an appliance left on lifts all three by its full
size. The residual is kept in kWh (an appliance adds the same energy whatever the hour) and
divided by the recent spread of the residuals (their P90 over the last four weeks), so the
test follows the seasons: a winter evening's ordinary swings do not count like a summer's.

One appliance also draws the same power every hour, so its hours are flat: the range of the
three hours' values is taken off the smallest residual. The household's own busy hours swing
much more from one hour to the next. (Half the range was taken off before; the full range, with
the budget re-chosen on the tuning year, caught one more appliance there at about the same
false-alarm rate: docs/benchmarks/anomaly.md.)

A long appliance run whose three-hour windows each stay just below the threshold (the house's
own load dips in one hour, or the recent spread is wide) is caught by the running sum of the
statistic: every hour adds how far its three-hour window lies above :data:`SUM_SLACK` recent
spreads, an hour below drains it, a gap resets it (:func:`persist_sum_path`). Its threshold
is learnt by the same replay and episode budget as the statistic's own.
"""

from collections.abc import Iterable
import math

import numpy as np
import pandas as pd

from .robust import FloatArray

HOURS = 3
"""Consecutive hours that must all be clearly above the expected median."""
SCALE_HOURS = 28 * 24
"""The residuals' spread is that of the last four weeks."""
MIN_SCALE_VALUES = 14 * 24
"""With fewer recent residuals the spread learnt from the whole history is used."""
SCALE_QUANTILE = 0.9
FLATNESS = 1.0
"""Share of the hours' range (max - min of the values) taken off the smallest residual."""
SUM_SLACK = 0.6
"""Windows whose statistic stays below this many recent spreads drain the running sum."""
SUM_CAP = 1.5
"""Largest contribution of one window to the running sum (one far-off window alone is the
statistic's own business)."""


def spread_of(residuals: Iterable[float], fallback: float, floor: float) -> float:
    """The P90 of recent residuals (``fallback`` with too few of them), at least ``floor``."""
    finite = np.asarray([r for r in residuals if math.isfinite(r)], dtype=np.float64)
    if finite.size < MIN_SCALE_VALUES:
        return max(fallback, floor)
    return max(float(np.quantile(finite, SCALE_QUANTILE)), floor)


def excess(residuals: list[float], values: list[float]) -> float:
    """Smallest residual of a few hours less :data:`FLATNESS` times their values' range."""
    return min(residuals) - FLATNESS * (max(values) - min(values))


def persist_path(
    residuals: FloatArray, values: FloatArray, fallback: float, floor: float
) -> FloatArray:
    """The statistic for every hour of hourly grids of residuals and values (NaN for gaps).

    Must match :meth:`.energy.EnergyAnomalyDetector` online: :func:`excess` of the last
    :data:`HOURS` hours (all present) over the spread of the four weeks before the hour.
    """
    series = pd.Series(residuals)
    spread = series.rolling(SCALE_HOURS, min_periods=MIN_SCALE_VALUES).quantile(SCALE_QUANTILE)
    spread = spread.shift(1).fillna(fallback).clip(lower=floor)
    smallest = series.rolling(HOURS, min_periods=HOURS).min()
    level = pd.Series(values)
    swing = (
        level.rolling(HOURS, min_periods=HOURS).max()
        - level.rolling(HOURS, min_periods=HOURS).min()
    )
    return ((smallest - FLATNESS * swing) / spread).to_numpy(dtype=np.float64)


def persist_sum_path(statistic: FloatArray) -> FloatArray:
    """The running sum of the statistic along its path (a gap, NaN, resets it to 0).

    Must match the detector's online sum (:class:`.cusum.CusumSide` with :data:`SUM_SLACK`
    and :data:`SUM_CAP`): ``max(0, sum + min(statistic, SUM_CAP) - SUM_SLACK)``.
    """
    path = np.zeros(len(statistic))
    total = 0.0
    for position, item in enumerate(statistic.tolist()):
        total = 0.0 if math.isnan(item) else max(0.0, total + min(item, SUM_CAP) - SUM_SLACK)
        path[position] = total
    return path
