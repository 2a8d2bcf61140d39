"""P10/P90 per lead from out-of-sample residuals (split conformal, binned by recent motion).

The energy forecaster's calibration (:mod:`..forecast.intervals`) bins residuals by forecast
level, for loads whose errors grow with the load. A sensor's error grows with the lead and
with how much the sensor is moving: a freezer whose temperature is climbing is far less
predictable than one sitting at its set point. Residual quantiles are therefore taken per
lead bucket and per bin of the absolute slope of the last hour at the issue time
("activity"), interpolated in log(lead) between buckets, and never narrow as the lead grows.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

import numpy as np
import numpy.typing as npt

from custom_components.foresight.ml.forecast.intervals import conformal_quantile

from .model import interpolate_in_log_lead

type FloatArray = npt.NDArray[np.float64]
type IntArray = npt.NDArray[np.int64]

#: Nominal share inside P10-P90.
COVERAGE = 0.8
#: Fewest residuals a bucket (or bin) needs for its own quantiles.
MIN_RESIDUALS = 20
#: Activity quantiles that split the bins, by number of bins.
BIN_QUANTILES = {1: (), 2: (0.75,), 3: (0.5, 0.9)}
#: Fewest residuals in the smallest bucket for 2 and 3 bins.
ROWS_FOR_BINS = {2: 100, 3: 300}


@dataclass(frozen=True, slots=True)
class LeadIntervals:
    """Residual quantiles per lead bucket (rows) and activity bin (columns).

    Attributes:
        leads: Bucket leads in steps (ascending).
        edges: Inner activity bin edges (ascending, length bins - 1).
        lower: Quantile added to the median for P10 (<= 0), per bucket and bin.
        upper: Quantile added to the median for P90 (>= 0), per bucket and bin.
    """

    leads: IntArray
    edges: FloatArray
    lower: FloatArray
    upper: FloatArray

    def bounds(
        self, p50: FloatArray, leads: IntArray, activity: float
    ) -> tuple[FloatArray, FloatArray]:
        """P10 and P90 around medians at the given leads (``p10 <= p50 <= p90``).

        Args:
            p50: Medians.
            leads: Their leads (steps).
            activity: Absolute slope of the last hour at the issue time (NaN: lowest bin).
        """
        column = int(np.searchsorted(self.edges, activity, side="right"))
        column = 0 if not math.isfinite(activity) else min(column, self.lower.shape[1] - 1)
        lower = interpolate_in_log_lead(self.leads, self.lower[:, column], leads)
        upper = interpolate_in_log_lead(self.leads, self.upper[:, column], leads)
        return np.minimum(p50 + lower, p50), np.maximum(p50 + upper, p50)


def _quantiles(values: FloatArray) -> tuple[float, float]:
    tail = (1.0 - COVERAGE) / 2.0
    return (
        min(conformal_quantile(values, tail), 0.0),
        max(conformal_quantile(values, 1.0 - tail), 0.0),
    )


def _fill_missing(leads: IntArray, lower: FloatArray, upper: FloatArray, scale: float) -> None:
    """Buckets without quantiles borrow the nearest shorter one's, scaled by sqrt(lead)."""
    known = np.flatnonzero(np.isfinite(lower))
    for number in range(len(leads)):
        if np.isfinite(lower[number]):
            continue
        if known.size:
            source = known[known < number][-1] if (known < number).any() else known[0]
            factor = math.sqrt(leads[number] / leads[source])
            lower[number] = lower[source] * factor
            upper[number] = upper[source] * factor
        else:
            width = 1.2816 * scale * math.sqrt(leads[number])
            lower[number], upper[number] = -width, width


def calibrate_leads(
    leads: IntArray,
    residuals: list[FloatArray],
    activity: list[FloatArray],
    fallback_scale: float,
) -> LeadIntervals:
    """Quantiles per bucket and activity bin from residuals (actual - predicted).

    A bin with too few residuals uses its whole bucket's quantiles; a bucket with too few
    borrows the nearest shorter bucket's scaled by the square root of the lead ratio (a
    random walk's growth); without any usable bucket the interval is
    ``+-1.28 x fallback_scale x sqrt(lead)``.
    """
    clean = [
        (values[np.isfinite(values)], np.nan_to_num(motion[np.isfinite(values)]))
        for values, motion in zip(residuals, activity, strict=True)
    ]
    smallest = min((values.size for values, _ in clean), default=0)
    bins = max([1, *[count for count, rows in ROWS_FOR_BINS.items() if smallest >= rows]])
    pooled = np.concatenate([motion for _, motion in clean]) if clean else np.empty(0)
    edges = (np.quantile(pooled, BIN_QUANTILES[bins]) if bins > 1 else np.empty(0)).astype(
        np.float64
    )
    lower = np.full((len(leads), bins), np.nan)
    upper = np.full((len(leads), bins), np.nan)
    for number, (values, motion) in enumerate(clean):
        if values.size < MIN_RESIDUALS:
            continue
        whole = _quantiles(values)
        assignment = np.searchsorted(edges, motion, side="right")
        for column in range(bins):
            in_bin = values[assignment == column]
            low, high = _quantiles(in_bin) if in_bin.size >= MIN_RESIDUALS else whole
            lower[number, column], upper[number, column] = low, high
    for column in range(bins):
        _fill_missing(leads, lower[:, column], upper[:, column], fallback_scale)
    return LeadIntervals(
        leads=leads,
        edges=edges,
        lower=np.minimum.accumulate(lower, axis=0),
        upper=np.maximum.accumulate(upper, axis=0),
    )
