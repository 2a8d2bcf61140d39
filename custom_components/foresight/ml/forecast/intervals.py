"""P10/P90 from out-of-sample residuals (split conformal, binned by forecast level).

Household loads are heteroscedastic: a high forecast comes with larger errors. Residual
quantiles are therefore taken within bins of the point forecast.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

import numpy as np
import numpy.typing as npt

type FloatArray = npt.NDArray[np.float64]

#: Fewest residuals per bin; fewer bins are used when there are fewer residuals.
MIN_BIN_RESIDUALS = 60
MAX_BINS = 5


@dataclass(frozen=True, slots=True)
class IntervalCalibration:
    """Residual quantiles per bin of the point forecast.

    Attributes:
        edges: Inner bin edges on the point forecast (ascending, length bins - 1).
        lower: Residual quantile added to the point forecast for the low bound, per bin.
        upper: Residual quantile added for the high bound, per bin.
        non_negative: Whether the target never went below zero (bounds are clipped at 0).
    """

    edges: FloatArray
    lower: FloatArray
    upper: FloatArray
    non_negative: bool

    def bounds(self, p50: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Low and high bounds around point forecasts, with ``p10 <= p50 <= p90``."""
        bins = np.searchsorted(self.edges, p50, side="right")
        p10 = np.minimum(p50 + self.lower[bins], p50)
        p90 = np.maximum(p50 + self.upper[bins], p50)
        if self.non_negative:
            p10 = np.minimum(np.maximum(p10, 0.0), p50)
            p90 = np.maximum(p90, 0.0)
        return p10, p90


def conformal_quantile(residuals: FloatArray, level: float) -> float:
    """Finite-sample corrected quantile: slightly wider than the empirical one."""
    count = len(residuals)
    if level >= 0.5:
        rank = min(math.ceil((count + 1) * level) / count, 1.0)
    else:
        rank = max(math.floor((count + 1) * level) / count, 0.0)
    return float(np.quantile(residuals, rank))


def calibrate(
    predicted: FloatArray, actual: FloatArray, *, coverage: float, non_negative: bool
) -> IntervalCalibration:
    """Learn interval offsets from point forecasts and what happened.

    Args:
        predicted: Out-of-sample point forecasts.
        actual: Observed values at the same hours (NaN rows are ignored).
        coverage: Nominal share of hours inside the interval (0.8 for P10-P90).
        non_negative: Clip bounds at zero.

    Returns:
        The calibration; with no residuals at all, a zero-width interval.
    """
    known = np.isfinite(actual) & np.isfinite(predicted)
    predicted, residual = predicted[known], actual[known] - predicted[known]
    tail = (1.0 - coverage) / 2.0
    if residual.size == 0:
        zero = np.zeros(1)
        return IntervalCalibration(np.empty(0), zero, zero, non_negative)
    bins = int(max(1, min(MAX_BINS, residual.size // MIN_BIN_RESIDUALS)))
    edges = np.asarray(
        np.quantile(predicted, np.linspace(0, 1, bins + 1)[1:-1]) if bins > 1 else np.empty(0),
        dtype=np.float64,
    )
    assignment = np.searchsorted(edges, predicted, side="right")
    lower = np.zeros(bins)
    upper = np.zeros(bins)
    for number in range(bins):
        in_bin = residual[assignment == number]
        if in_bin.size == 0:  # ties in the forecast can leave a bin empty: use all residuals
            in_bin = residual
        lower[number] = conformal_quantile(in_bin, tail)
        upper[number] = conformal_quantile(in_bin, 1.0 - tail)
    return IntervalCalibration(edges, lower, upper, non_negative)
