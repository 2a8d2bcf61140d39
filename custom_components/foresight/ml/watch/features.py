"""Features of a short-horizon forecast, issued at a grid position for a lead of k steps.

Every feature is known at the issue time. The model predicts the change from the current
level, so the forecast is ``level + sum of the feature groups' contributions``:

* ``recent_trend``: the slopes of the last hour, three hours and six hours, times the lead;
* ``daily_pattern``: the usual difference between the target's and now's time of day (from
  the learnt daily profile), and the median change between the same two times of day on
  the last five days, and the difference to the same time yesterday;
* ``mean_reversion``: how far the level is from its mean of the last 24 hours;
* ``exogenous:<name>``: each exogenous sensor's deviation from its 24-hour mean and its
  slope of the last hour times the lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from .grid import SensorGrid, carry_forward, fill_limit

type FloatArray = npt.NDArray[np.float64]
type IntArray = npt.NDArray[np.int64]

RECENT_TREND: Final = "recent_trend"
DAILY_PATTERN: Final = "daily_pattern"
MEAN_REVERSION: Final = "mean_reversion"
DRIFT: Final = "drift"
EXOGENOUS_PREFIX: Final = "exogenous:"

DAY = pd.Timedelta(days=1)
HOUR = pd.Timedelta(hours=1)
#: Trend windows in hours.
TREND_HOURS = (1, 3)
#: Window of the linear-drift baseline in hours.
DRIFT_HOURS = 6
#: Shortest time-of-day slot (slots are one grid step long, and at least this).
MIN_SLOT_MINUTES = 5
#: Days the same-clock-interval change is taken from (median).
RECENT_DAYS = 5


def column_names(feature_columns: tuple[str, ...]) -> tuple[str, ...]:
    """Names of the model's columns, in order."""
    names = [f"trend_{hours}h" for hours in TREND_HOURS]
    names += [
        f"trend_{DRIFT_HOURS}h",
        "daily_profile",
        "recent_days",
        "yesterday",
        "mean_reversion",
    ]
    for name in feature_columns:
        names += [f"{name}:deviation", f"{name}:trend"]
    return tuple(names)


def column_groups(feature_columns: tuple[str, ...]) -> tuple[str, ...]:
    """Group of each column (same order as :func:`column_names`)."""
    groups = [RECENT_TREND] * (len(TREND_HOURS) + 1) + [DAILY_PATTERN] * 3 + [MEAN_REVERSION]
    for name in feature_columns:
        groups += [f"{EXOGENOUS_PREFIX}{name}"] * 2
    return tuple(groups)


def local_minutes(stamps: pd.DatetimeIndex, time_zone: str) -> IntArray:
    """Minute of the local day of each timestamp."""
    local = stamps.tz_convert(time_zone)
    return np.asarray(local.hour * 60 + local.minute, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class DailyProfile:
    """Usual deviation from the daily mean per local time-of-day slot.

    Attributes:
        slot_minutes: Length of a slot.
        values: Deviation per slot (mean zero).
    """

    slot_minutes: int
    values: FloatArray

    def at(self, minutes: IntArray) -> FloatArray:
        """Profile value at local minutes of the day."""
        slots = np.clip(minutes // self.slot_minutes, 0, len(self.values) - 1)
        return np.asarray(self.values[slots], dtype=np.float64)


def fit_profile(grid: SensorGrid, time_zone: str, end: int | None = None) -> DailyProfile:
    """Learn the daily pattern from the grid positions before ``end``.

    The target minus its centred 24-hour mean is averaged per local time-of-day slot and
    centred; slots never seen are 0.
    """
    stop = len(grid) if end is None else end
    step_minutes = int(grid.step / pd.Timedelta(minutes=1))
    slot_minutes = max(step_minutes, MIN_SLOT_MINUTES)
    slots = (24 * 60) // slot_minutes
    target = pd.Series(grid.target[:stop])
    window = max(1, int(DAY / grid.step))
    centred = target.rolling(window, center=True, min_periods=window // 2).mean()
    residual = (target - centred).to_numpy(dtype=float)
    slot = local_minutes(grid.index[:stop], time_zone) // slot_minutes
    finite = np.isfinite(residual)
    sums = np.bincount(slot[finite], weights=residual[finite], minlength=slots)[:slots]
    counts = np.bincount(slot[finite], minlength=slots)[:slots]
    means = np.zeros(slots)
    np.divide(sums, counts, out=means, where=counts > 0)
    if counts.any():
        means[counts > 0] -= means[counts > 0].mean()
    return DailyProfile(slot_minutes, means)


@dataclass(frozen=True, slots=True)
class FeatureContext:
    """Per-position quantities that the lead-dependent features are built from.

    Attributes:
        level: Target carried forward over short gaps (lags only).
        smooth: Level smoothed over a quarter of an hour.
        slopes: Slope per hour of the smoothed level, per trend window.
        drift_slope: Slope per hour over the last ``DRIFT_HOURS`` (the linear-drift baseline).
        day_mean: Trailing 24-hour mean of the target.
        exogenous: Per exogenous column, its deviation from its 24-hour mean and its slope
            per hour.
        minutes: Local minute of the day of each position, extended by ``max_lead``
            positions past the end of the grid.
        profile: The daily pattern.
    """

    level: FloatArray
    smooth: FloatArray
    slopes: tuple[FloatArray, ...]
    drift_slope: FloatArray
    day_mean: FloatArray
    exogenous: dict[str, tuple[FloatArray, FloatArray]]
    minutes: IntArray
    profile: DailyProfile


def _slope(series: FloatArray, steps: int, steps_per_hour: float) -> FloatArray:
    lagged = np.r_[np.full(steps, np.nan), series[:-steps]] if steps < len(series) else None
    if lagged is None:
        return np.full(len(series), np.nan)
    return np.asarray((series - lagged) * steps_per_hour / steps, dtype=np.float64)


def _smoothed(values: FloatArray, window: int) -> FloatArray:
    return np.asarray(pd.Series(values).rolling(window, min_periods=1).mean().to_numpy(dtype=float))


def build_context(
    grid: SensorGrid,
    feature_columns: tuple[str, ...],
    profile: DailyProfile,
    time_zone: str,
    max_lead: int,
) -> FeatureContext:
    """Compute the per-position quantities of a grid.

    Args:
        grid: The sensor's grid.
        feature_columns: Exogenous columns, in order.
        profile: Daily pattern to use.
        time_zone: Local time zone of the daily pattern.
        max_lead: Longest lead (steps) features will be asked for.
    """
    limit = fill_limit(grid.step)
    per_hour = grid.steps_per_hour
    hour_steps = max(1, round(per_hour))
    smooth_window = max(1, hour_steps // 4)
    level = carry_forward(grid.target, limit)
    smooth = _smoothed(level, smooth_window)
    slopes = tuple(_slope(smooth, hours * hour_steps, per_hour) for hours in TREND_HOURS)
    day_steps = max(1, int(DAY / grid.step))
    day_mean = np.asarray(
        pd.Series(grid.target)
        .rolling(day_steps, min_periods=max(1, day_steps // 4))
        .mean()
        .to_numpy(dtype=float)
    )
    exogenous: dict[str, tuple[FloatArray, FloatArray]] = {}
    for name in feature_columns:
        values = carry_forward(grid.features[name], limit)
        mean = pd.Series(values).rolling(day_steps, min_periods=1).mean().to_numpy(dtype=float)
        slope = _slope(_smoothed(values, smooth_window), hour_steps, per_hour)
        exogenous[name] = (np.asarray(values - mean, dtype=np.float64), slope)
    if len(grid):
        extended = pd.date_range(grid.index[0], periods=len(grid) + max_lead, freq=grid.step)
    else:
        extended = pd.DatetimeIndex([], tz="UTC")
    return FeatureContext(
        level=level,
        smooth=smooth,
        slopes=slopes,
        drift_slope=_slope(smooth, DRIFT_HOURS * hour_steps, per_hour),
        day_mean=day_mean,
        exogenous=exogenous,
        minutes=local_minutes(extended, time_zone),
        profile=profile,
    )


def _recent_days_change(
    level: FloatArray, origins: IntArray, leads: IntArray, steps_per_hour: float
) -> FloatArray:
    """Median change between now's and the target's time of day on the last days.

    The median over up to ``RECENT_DAYS`` days ignores a one-off event (watering the plant,
    a door left open) on one of them.
    """
    day = round(24 * steps_per_hour)
    first = np.ceil(leads / day).astype(np.int64)
    changes = np.full((RECENT_DAYS, *origins.shape), np.nan)
    for number in range(RECENT_DAYS):
        back = (first + number) * day
        then = origins - back
        usable = then >= 0
        change = level[np.where(usable, origins + leads - back, 0)] - level[np.maximum(then, 0)]
        changes[number] = np.where(usable, change, np.nan)
    known = np.isfinite(changes)
    filled = np.where(known, changes, np.inf)
    ordered = np.sort(filled, axis=0)
    counts = known.sum(axis=0)
    low = np.take_along_axis(ordered, np.maximum((counts - 1) // 2, 0)[None], axis=0)[0]
    high = np.take_along_axis(ordered, np.maximum(counts // 2, 0)[None], axis=0)[0]
    with np.errstate(invalid="ignore"):
        median = (low + high) / 2.0
    return np.asarray(np.where(counts > 0, median, np.nan), dtype=np.float64)


def lead_features(
    context: FeatureContext, origins: IntArray, leads: IntArray | int, steps_per_hour: float
) -> FloatArray:
    """Feature matrix for forecasts issued at ``origins`` for ``leads`` steps ahead.

    ``origins`` and ``leads`` broadcast against each other: one lead for many origins
    (training), or one origin for many leads (forecasting). Unknown values (gaps longer than
    the carry-forward limit) become 0, the neutral value of every feature.
    """
    origins, leads = np.broadcast_arrays(np.asarray(origins), np.asarray(leads))
    lead_hours = leads / steps_per_hour
    columns = [slope[origins] * lead_hours for slope in context.slopes]
    columns.append(context.drift_slope[origins] * lead_hours)
    profile = context.profile
    columns.append(
        profile.at(context.minutes[origins + leads]) - profile.at(context.minutes[origins])
    )
    columns.append(_recent_days_change(context.level, origins, leads, steps_per_hour))
    day = round(24 * steps_per_hour)
    source = origins + leads - np.ceil(leads / day).astype(np.int64) * day
    yesterday = context.level[np.maximum(source, 0)] - context.level[origins]
    columns.append(np.where(source >= 0, yesterday, np.nan))
    columns.append(context.level[origins] - context.day_mean[origins])
    for deviation, slope in context.exogenous.values():
        columns += [deviation[origins], slope[origins] * lead_hours]
    matrix = np.column_stack(columns) if columns else np.empty((len(origins), 0))
    return np.nan_to_num(np.asarray(matrix, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
