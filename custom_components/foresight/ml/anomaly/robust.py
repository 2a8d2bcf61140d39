"""Robust statistics helpers shared by the detectors (NaN-aware, warning-free)."""

import math

import numpy as np
import numpy.typing as npt

type FloatArray = npt.NDArray[np.float64]
type BoolArray = npt.NDArray[np.bool_]

MAD_TO_SIGMA = 1.4826
"""Scale factor turning a median absolute deviation into a normal standard deviation."""


def nan_quantile_rows(table: FloatArray, q: float) -> FloatArray:
    """Quantile of each row, ignoring NaN; rows without values give NaN.

    Sorting once and interpolating by hand avoids ``np.nanquantile``'s warnings and is fast for
    the small tables the profiles use.

    Args:
        table: 2-D array.
        q: Quantile in [0, 1].

    Returns:
        One value per row.
    """
    ordered = np.sort(table, axis=1)  # NaN sorts last
    counts = np.sum(~np.isnan(table), axis=1)
    position = np.maximum(counts - 1, 0) * q
    below = np.floor(position).astype(np.intp)
    above = np.minimum(below + 1, np.maximum(counts - 1, 0))
    rows = np.arange(table.shape[0])
    weight = position - below
    result = ordered[rows, below] * (1.0 - weight) + ordered[rows, above] * weight
    result[counts == 0] = np.nan
    return np.asarray(result, dtype=np.float64)


def nan_quantile(values: FloatArray, q: float) -> float:
    """Quantile of a 1-D array ignoring NaN; NaN when nothing is left."""
    return float(nan_quantile_rows(values.reshape(1, -1), q)[0])


def robust_scale(values: FloatArray) -> float:
    """Standard-deviation-like spread from the MAD, falling back to the IQR.

    Returns:
        The spread, 0.0 when the values are constant, NaN when there are none.
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return math.nan
    median = float(np.median(finite))
    mad = float(np.median(np.abs(finite - median))) * MAD_TO_SIGMA
    if mad > 0:
        return mad
    q25, q75 = np.quantile(finite, [0.25, 0.75])
    iqr = float(q75 - q25) / 1.349
    if iqr > 0:
        return iqr
    return float(np.mean(np.abs(finite - median)))


def evidence_to_score(evidence: float) -> float:
    """Map evidence (1 = at the threshold) to a score in [0, 1] with 0.5 at the threshold."""
    if not evidence > 0:
        return 0.0
    return float(1.0 - 0.5 ** min(evidence, 60.0))
