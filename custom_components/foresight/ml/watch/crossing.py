"""Will a sensor cross a limit soon? Probability, time of crossing and why.

Per step, the forecast's P10/P50/P90 define a two-piece ("split") normal distribution: a
normal of scale ``(p50 - p10) / 1.2816`` below the median and one of scale
``(p90 - p50) / 1.2816`` above it, so that its 10th, 50th and 90th percentiles are exactly
the forecast's.

Across steps the errors are taken as fully dependent (comonotone): every possible future is
one quantile level ``u`` followed through all steps. This is the natural reading of a fan
chart and gives closed forms:

* the probability of crossing at any step within the warning window is the largest
  per-step probability in it (for any other dependence it is at least that, so this is a
  lower bound; ``bench.threshold_data`` measures how well calibrated it is);
* the crossing time has ``P(T <= t) = max of the per-step probabilities up to t``, so its
  P10/P50/P90 are where that running maximum reaches 0.1/0.5/0.9 (interpolated linearly
  between steps, from 0 at the issue time). ``eta_p50`` is when the median path crosses,
  ``eta_p10`` the earliest plausible crossing; an ETA is None when its probability is not
  reached within the forecast.

Because both are read off the forecast at absolute times, the ETA counts down with elapsed
time as long as new data confirm the forecast.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

import numpy as np
import numpy.typing as npt

from .features import DAILY_PATTERN
from .forecast import SensorForecast
from .settings import ThresholdSettings
from .text import day_part, decimals_for, is_shown, number, with_unit

type FloatArray = npt.NDArray[np.float64]

#: Standard normal quantile of 0.9.
Z90 = 1.2815515655446004
ETA_LEVELS = (0.1, 0.5, 0.9)
#: Without an expected crossing, the usual daily change is described over this many hours.
PATTERN_HOURS = 6.0


@dataclass(frozen=True)
class Crossing:
    """Outlook of one limit.

    Attributes:
        probability: Probability of being past the limit at some step within the warning
            window (1 when already past).
        eta_p10_hours: Early estimate of the hours until the crossing (None: not that likely
            within the forecast).
        eta_p50_hours: Median estimate (None: not expected within the forecast).
        eta_p90_hours: Late estimate (None: not that likely within the forecast).
        already_past: The current value is already past the limit.
        warning: ``probability >= warning_probability``.
        text: One sentence for people.
    """

    probability: float
    eta_p10_hours: float | None
    eta_p50_hours: float | None
    eta_p90_hours: float | None
    already_past: bool
    warning: bool
    text: str


def _normal_cdf(z: FloatArray) -> FloatArray:
    return np.asarray(0.5 * (1.0 + np.vectorize(math.erf)(z / math.sqrt(2.0))), np.float64)


def exceedance(forecast: SensorForecast, threshold: ThresholdSettings) -> FloatArray:
    """Probability of being past the limit at each step (split normal per step)."""
    p10, p50, p90 = forecast.p10, forecast.p50, forecast.p90
    below_median = threshold.limit < p50
    scale = np.where(below_median, p50 - p10, p90 - p50) / Z90
    distance = threshold.limit - p50
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(scale > 0, distance / np.where(scale > 0, scale, 1.0), np.inf * distance)
    z = np.nan_to_num(z, nan=0.0)
    cdf = _normal_cdf(z) if z.size else np.empty(0)
    # A point mass (zero width) exactly at the limit is not past it.
    cdf = np.where(
        (scale <= 0) & (distance == 0), 1.0 if threshold.direction == "above" else 0.0, cdf
    )
    return np.asarray(1.0 - cdf if threshold.direction == "above" else cdf, dtype=np.float64)


def _first_reach(hours: FloatArray, running: FloatArray, level: float) -> float | None:
    """Hours at which the running maximum probability first reaches ``level``."""
    reached = np.flatnonzero(running >= level)
    if reached.size == 0:
        return None
    k = int(reached[0])
    before_hours = float(hours[k - 1]) if k else 0.0
    before_p = float(running[k - 1]) if k else 0.0
    span = float(running[k]) - before_p
    share = (level - before_p) / span if span > 0 else 1.0
    return before_hours + share * (float(hours[k]) - before_hours)


def _is_past(value: float, threshold: ThresholdSettings) -> bool:
    if threshold.direction == "above":
        return value > threshold.limit
    return value < threshold.limit


def crossing(forecast: SensorForecast, threshold: ThresholdSettings) -> Crossing:
    """Probability, ETA and explanation of crossing a limit, from a forecast.

    Args:
        forecast: A sensor forecast.
        threshold: The limit, its direction and the warning window.

    Returns:
        The outlook; ``already_past`` (probability 1, ETA 0) when the current value is past
        the limit.
    """
    unit = forecast.unit
    limit_text = with_unit(f"{threshold.limit:g}", unit)
    current = forecast.current_value
    if current is not None and _is_past(current, threshold):
        now_text = with_unit(number(current, decimals_for(current)), unit)
        return Crossing(
            probability=1.0,
            eta_p10_hours=0.0,
            eta_p50_hours=0.0,
            eta_p90_hours=0.0,
            already_past=True,
            warning=True,
            text=f"Already {threshold.direction} {limit_text}: now {now_text}",
        )
    hours = forecast.hours_ahead()
    per_step = exceedance(forecast, threshold)
    window = hours <= threshold.warning_hours + 1e-9
    probability = float(per_step[window].max()) if window.any() else 0.0
    running = np.maximum.accumulate(per_step) if per_step.size else per_step
    etas = [_first_reach(hours, running, level) for level in ETA_LEVELS]
    warning = probability >= threshold.warning_probability
    text = _sentence(forecast, threshold, probability, etas, limit_text, warning=warning)
    return Crossing(
        probability=probability,
        eta_p10_hours=etas[0],
        eta_p50_hours=etas[1],
        eta_p90_hours=etas[2],
        already_past=False,
        warning=warning,
        text=text,
    )


def _hours(value: float) -> str:
    return f"{value:.1f} h"


def _sentence(
    forecast: SensorForecast,
    threshold: ThresholdSettings,
    probability: float,
    etas: list[float | None],
    limit_text: str,
    *,
    warning: bool,
) -> str:
    window = f"{threshold.warning_hours:g} h"
    chance = f"{probability:.0%}"
    early, median, late = etas
    if warning and median is not None:
        spread = f" ({_hours(early or 0.0)} to {_hours(late)})" if late is not None else ""
        head = (
            f"Likely {threshold.direction} {limit_text} in about {_hours(median)}{spread},"
            f" {chance} within {window}"
        )
    elif warning:
        head = f"Possibly {threshold.direction} {limit_text} within {window} ({chance})"
    elif median is not None:
        head = (
            f"Expected {threshold.direction} {limit_text} in about {_hours(median)},"
            f" {chance} within {window}"
        )
    else:
        head = f"Not expected {threshold.direction} {limit_text} within {window} ({chance})"
    return f"{head}: {', '.join(_reasons(forecast, threshold, median))}"


def _reasons(
    forecast: SensorForecast, threshold: ThresholdSettings, eta: float | None
) -> list[str]:
    """The recent trend, and the usual change until the crossing (or over a few hours)."""
    unit = forecast.unit
    reference = forecast.current_value if forecast.current_value is not None else 0.0
    decimals = decimals_for(reference) + 1
    reasons = []
    slope = forecast.trend_per_hour
    if slope is not None and is_shown(slope, decimals):
        rate = with_unit(number(abs(slope), decimals), unit) + "/h"
        text = f"{'rising' if slope > 0 else 'falling'} {rate}"
        if forecast.trend_since is not None:
            text += f" since {forecast.trend_since.tz_convert(forecast.time_zone):%H:%M}"
        reasons.append(text)
    else:
        reasons.append("steady lately")
    pattern = forecast.contributions.get(DAILY_PATTERN)
    hours = forecast.hours_ahead()
    until = eta if eta is not None else min(threshold.warning_hours, PATTERN_HOURS)
    window = np.flatnonzero(hours <= until + 1e-9)
    if pattern is not None and window.size:
        change = float(pattern[window[-1]])
        if is_shown(change, decimals - 1):
            size = with_unit(number(change, decimals - 1, signed=True), unit)
            verb = "rises" if change > 0 else "falls"
            local = forecast.timestamps[window[-1]].tz_convert(forecast.time_zone)
            reasons.append(f"usually {verb} {size} by {local:%H:%M}")
        else:
            part = day_part(forecast.issued_at.tz_convert(forecast.time_zone))
            reasons.append(f"usually flat in the {part}")
    return reasons
