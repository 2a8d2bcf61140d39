"""A small ridge regression per lead bucket, interpolated between buckets.

Leads are bucketed on a log scale (e.g. 5 min, 15 min, 40 min, ... 30 h); each bucket has its
own intercept and coefficients, and a lead between two buckets uses coefficients
interpolated linearly in log(lead). A prediction is therefore always ``intercept + sum of
coefficient x feature``: exact additive contributions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

type FloatArray = npt.NDArray[np.float64]
type IntArray = npt.NDArray[np.int64]

#: Lead buckets (at most; short horizons have fewer distinct ones).
BUCKETS = 9
#: Ridge penalty on standardised columns: a fixed part and a part per row.
RIDGE_ALPHA = 1.0
RIDGE_ALPHA_PER_ROW = 0.01
#: Huber threshold in robust standard deviations, and reweighting rounds.
HUBER_K = 1.0
HUBER_ITERATIONS = 5
#: Fewest rows a bucket needs; with fewer it predicts no change (persistence).
MIN_ROWS = 24


def lead_buckets(max_lead: int, count: int = BUCKETS) -> IntArray:
    """Distinct leads (steps), spaced on a log scale from 1 to ``max_lead``."""
    raw = np.geomspace(1, max(1, max_lead), count)
    return np.unique(np.round(raw).astype(np.int64))


def interpolate_in_log_lead(leads: IntArray, values: FloatArray, at: IntArray) -> FloatArray:
    """Interpolate per-bucket values (rows = buckets) at leads, linearly in log(lead).

    Leads outside the buckets take the nearest bucket's values.
    """
    x = np.log(np.asarray(leads, dtype=float))
    where = np.log(np.maximum(np.asarray(at, dtype=float), 1.0))
    if values.ndim == 1:
        return np.asarray(np.interp(where, x, values), dtype=np.float64)
    columns = [np.interp(where, x, values[:, column]) for column in range(values.shape[1])]
    return np.asarray(np.column_stack(columns), dtype=np.float64).reshape(len(where), -1)


def _weighted_ridge(
    z: FloatArray, target: FloatArray, weights: FloatArray, alpha: float
) -> tuple[float, FloatArray]:
    """Weighted ridge on standardised columns (the intercept is not penalised)."""
    total = weights.sum()
    z_mean = weights @ z / total
    y_mean = float(weights @ target / total)
    zc = z - z_mean
    weighted = zc * weights[:, None]
    gram = zc.T @ weighted + alpha * np.eye(z.shape[1])
    beta = np.linalg.solve(gram, weighted.T @ (target - y_mean))
    return y_mean - float(z_mean @ beta), beta


def fit_ridge(features: FloatArray, target: FloatArray) -> tuple[float, FloatArray]:
    """Robust (Huber) ridge regression on standardised columns, on the original scale.

    Iteratively reweighted least squares with Huber weights: rare jumps (a battery being
    recharged, a sensor glitch) barely move the fit, and the fit is close to a median, as a
    P50 should be. Constant columns get a zero coefficient. With fewer than ``MIN_ROWS``
    rows the model predicts no change.

    Returns:
        Intercept and coefficients.
    """
    rows, width = features.shape
    if rows < MIN_ROWS:
        return 0.0, np.zeros(width)
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    varying = scale > 1e-12
    z = (features[:, varying] - mean[varying]) / scale[varying]
    alpha = RIDGE_ALPHA + RIDGE_ALPHA_PER_ROW * rows
    weights = np.ones(rows)
    intercept, beta = _weighted_ridge(z, target, weights, alpha)
    for _ in range(HUBER_ITERATIONS):
        residual = target - intercept - z @ beta
        spread = 1.4826 * float(np.median(np.abs(residual - np.median(residual))))
        if spread <= 1e-12:
            break
        size = np.abs(residual) / (HUBER_K * spread)
        weights = 1.0 / np.maximum(size, 1.0)
        intercept, beta = _weighted_ridge(z, target, weights, alpha)
    coefficients = np.zeros(width)
    coefficients[varying] = beta / scale[varying]
    return float(intercept - mean @ coefficients), coefficients


@dataclass(frozen=True, slots=True)
class LeadModel:
    """Intercept and coefficients per lead bucket.

    Attributes:
        leads: Bucket leads in steps (ascending).
        intercepts: Intercept per bucket (the ``drift`` group).
        coefficients: Coefficients per bucket (rows) and column.
    """

    leads: IntArray
    intercepts: FloatArray
    coefficients: FloatArray

    def at(self, leads: IntArray) -> tuple[FloatArray, FloatArray]:
        """Intercepts and coefficient rows interpolated at the given leads."""
        return (
            interpolate_in_log_lead(self.leads, self.intercepts, leads),
            interpolate_in_log_lead(self.leads, self.coefficients, leads),
        )
