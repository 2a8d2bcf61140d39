"""Learn an energy detector's thresholds by replaying the history as the detector would."""

import numpy as np
import pandas as pd

from .baseload import base_floor_of, base_path
from .calibration import tail_threshold, threshold_for_budget
from .cusum import cusum_path
from .energy import EnergyAnomalyDetector, EnergyThresholds
from .persist import SCALE_HOURS, SCALE_QUANTILE, persist_path, persist_sum_path
from .profile import HOURS_PER_WEEK, IntArray, local_slots
from .replay import replay_bands
from .robust import BoolArray, FloatArray, nan_quantile, robust_scale
from .settings import AnomalySettings

# The budgets below were chosen on the household benchmark's tuning year (2008-11-26 to
# 2009-11-25, injection seed 11; docs/benchmarks/anomaly.md), never on the reported year. A
# real history holds real unusual episodes (guests, heating, holidays), so on the following
# year the detector alarms far less than the budgets add up to (0.3-0.5 a week in all).
POINT_BUDGET = 0.5
"""Alarms per week each point test (high, low) would have raised over the history."""
CUSUM_BUDGET = 0.2
"""Alarms per week each CUSUM side would have raised over the history."""
BASE_BUDGET = 0.35
"""Alarms per week each base-load side would have raised over the history."""
POINT_TAIL = 0.99
"""Point deviations are measured in units of the usual P99 (P1) distance for the hour."""
BAND_TAIL = 0.9
"""CUSUM deviations are measured in units of the usual P90 (P10) distance for the hour."""
MIN_POINT_HIGH = 1.0
"""An hour must lie at least the usual P99 distance above the median."""
MIN_POINT_LOW = 2.0
"""Below, the P1 distance is small (the base load bounds it): ask for twice of it."""
PERSIST_BUDGET = 0.65
"""Alarms per week the persistent-excess test would have raised over the history (0.7 with
the half-range flatness of state version 2)."""
PERSIST_SUM_BUDGET = 0.5
"""Alarms per week the running sum of the persistent excess would have raised over the
history (chosen with five injection seeds of the tuning year, docs/benchmarks/anomaly.md)."""
MIN_CUSUM = 4.0
MIN_PERSIST = 1.0
"""Three hours must each lie at least one recent P90 spread above the median."""
MIN_PERSIST_SUM = 0.5
"""The running sum must gather at least half a recent P90 spread above its slack."""
MIN_BASE_Z = 4.0
FLOOR_QUANTILE = 0.001
FLOOR_SHARE = 0.5
"""A value half the history's floor below it counts as one threshold."""
MIN_EXPECTED_HOURS = 2 * HOURS_PER_WEEK
"""External bands must cover two weeks of history to learn thresholds from."""


def hourly_arrays(frame: pd.DataFrame) -> tuple[IntArray, FloatArray, BoolArray]:
    """Hour numbers, hourly mean values and the excluded flag of an input frame.

    Args:
        frame: The project's input frame (UTC index, ``target`` column, optional
            ``excluded``).

    Returns:
        ``(hours, values, excluded)`` sorted by time, one entry per hour that has rows.

    Raises:
        ValueError: If the index is not a tz-aware DatetimeIndex.
    """
    if not isinstance(frame.index, pd.DatetimeIndex) or frame.index.tz is None:
        msg = "the frame needs a tz-aware DatetimeIndex"
        raise ValueError(msg)
    target = pd.to_numeric(frame["target"], errors="coerce").astype(float).to_numpy()
    excluded = (
        frame["excluded"].astype("boolean").fillna(value=False).to_numpy(dtype=bool)
        if "excluded" in frame
        else np.zeros(len(frame), dtype=bool)
    )
    utc = frame.index.tz_convert("UTC").floor("h").as_unit("s")
    hour_numbers = np.asarray(utc.asi8 // 3600, dtype=np.int64)
    grouped = pd.DataFrame({"value": target, "excluded": excluded, "hour": hour_numbers})
    hourly = grouped.groupby("hour").agg({"value": "mean", "excluded": "max"}).sort_index()
    return (
        np.asarray(hourly.index.to_numpy(), dtype=np.int64),
        hourly["value"].to_numpy(dtype=np.float64),
        hourly["excluded"].to_numpy(dtype=bool),
    )


def hour_of_day_scales(
    residuals: FloatArray, hours_of_day: IntArray, floor: float, tail: float
) -> tuple[list[float], list[float]]:
    """Per local hour of day, the usual distance from the median residual to its tails.

    Args:
        residuals: Residuals of the replay.
        hours_of_day: Their local hours of day.
        floor: Smallest scale returned.
        tail: Upper tail quantile (e.g. 0.99 for the P99 and P1 distances).

    Returns:
        ``(upper, lower)`` scales, 24 each.
    """
    # Each hour borrows its neighbours' residuals: three times the data for the tail quantile,
    # which a few weeks of history could not pin down for a single hour.
    frame = pd.concat(
        pd.DataFrame({"r": residuals, "h": (hours_of_day + shift) % 24}) for shift in (-1, 0, 1)
    ).dropna()
    grouped = frame.groupby("h")["r"]
    mid = grouped.median()
    upper = (grouped.quantile(tail) - mid).reindex(range(24))
    lower = (mid - grouped.quantile(1.0 - tail)).reindex(range(24))
    overall_upper = nan_quantile(residuals, tail) - nan_quantile(residuals, 0.5)
    overall_lower = nan_quantile(residuals, 0.5) - nan_quantile(residuals, 1.0 - tail)

    def fill(series: pd.Series, fallback: float) -> list[float]:
        default = fallback if np.isfinite(fallback) else floor
        return [max(float(x), floor) for x in series.fillna(default).to_numpy()]

    return fill(upper, overall_upper), fill(lower, overall_lower)


def _standardized(
    residuals: FloatArray, hours_of_day: IntArray, upper: list[float], lower: list[float]
) -> FloatArray:
    scale = np.where(
        residuals >= 0, np.asarray(upper)[hours_of_day], np.asarray(lower)[hours_of_day]
    )
    return np.asarray(residuals / scale, dtype=np.float64)


def external_bands(hours: IntArray, expected: pd.DataFrame) -> FloatArray:
    """External bands aligned to hour numbers: an ``(n, 3)`` array, NaN where absent."""
    index = pd.DatetimeIndex(expected.index).tz_convert("UTC").floor("h").as_unit("s")
    positions = pd.Index(np.asarray(index.asi8 // 3600, dtype=np.int64)).get_indexer(
        pd.Index(hours)
    )
    band = np.full((len(hours), 3), np.nan)
    found = positions >= 0
    table = expected[["p10", "p50", "p90"]].to_numpy(dtype=np.float64)
    band[found] = table[positions[found]]
    return band


def data_span(hours: IntArray, values: FloatArray) -> float:
    """Hours from the first to the last value (see :func:`..continue_detector`).

    Home Assistant's frames cover the whole training window, the hours before the meter
    existed included (empty), so the window's own span says nothing about the history.
    """
    known = hours[np.isfinite(values)]
    return float(known[-1] - known[0] + 1) if known.size else 0.0


def fit_energy_detector(
    frame: pd.DataFrame,
    settings: AnomalySettings | None = None,
    expected: pd.DataFrame | None = None,
    *,
    own_weight: float = 0.0,
    span: bool = False,
) -> EnergyAnomalyDetector:
    """Learn thresholds and the expectation history from hourly energy or power.

    The history is replayed exactly as the online detector would have seen it (daily profile
    refits on earlier weeks only), so the learnt thresholds describe out-of-sample behaviour,
    and each threshold is set so it would have alarmed only a few times a year. One
    exception: online, the low side (point drop, low CUSUM) counts an hour only below the
    home's usual base load, while its thresholds here are learnt from every hour; they are
    higher than that narrower question alone would need (kept so, because saved detectors
    keep their thresholds, and on the held-out houses the gate alone already halved the
    false alarms).

    Args:
        frame: Input frame (UTC index, ``target``, optional ``excluded``); sub-hourly rows
            are averaged per hour.
        settings: Detector settings; defaults when omitted.
        expected: Optional out-of-sample bands of the forecast engine for (part of) the
            frame's hours, as :func:`.expected.rolling_expectations` makes them (UTC hour
            index; ``p10``, ``p50``, ``p90``). When given, the point and CUSUM thresholds are
            learnt from the residuals against these bands' medians over the hours they
            cover, and the detector must then be fed the same kind of band in
            :meth:`EnergyAnomalyDetector.update`. The base-load and floor tests always learn
            from the whole history.
        own_weight: With ``expected``, the share of the own profile's median blended into
            the external one (0: the external band alone), in the fit and online alike.
        span: With ``expected``, judge against the range between the external and the own
            median instead (an hour is off only by how far it lies outside both).

    Returns:
        A detector ready for :meth:`EnergyAnomalyDetector.update` on the hours after the frame.

    Raises:
        ValueError: If the frame has no usable rows, ``expected`` covers fewer than two
            weeks of them, or ``own_weight`` is outside [0, 1].
    """
    settings = settings or AnomalySettings()
    if not 0.0 <= own_weight <= 1.0:
        msg = "own_weight must lie in [0, 1]"
        raise ValueError(msg)
    hours, values, excluded = hourly_arrays(frame)
    learnable = np.where(excluded, np.nan, values)
    if not np.isfinite(learnable).any():
        msg = "no rows to learn from"
        raise ValueError(msg)
    slots, hods = local_slots(hours, settings.zone)
    bands = replay_bands(hours, learnable, slots, hods, settings.history_weeks)
    residuals = learnable - bands[:, 1]
    level = float(np.nanmedian(np.abs(learnable)))
    floor = max(0.02 * level, 0.05 * robust_scale(learnable), 1e-9)
    if expected is not None:
        median = external_bands(hours, expected)[:, 1]
        if span:
            low, high = np.fmin(median, bands[:, 1]), np.fmax(median, bands[:, 1])
            residuals = learnable - np.clip(learnable, low, high)
            residuals[np.isnan(median) | np.isnan(bands[:, 1])] = np.nan
        else:
            residuals = learnable - ((1.0 - own_weight) * median + own_weight * bands[:, 1])
        if np.isfinite(residuals).sum() < MIN_EXPECTED_HOURS:
            msg = f"the expected bands cover fewer than {MIN_EXPECTED_HOURS} learnable hours"
            raise ValueError(msg)
    high_scale, low_scale = hour_of_day_scales(residuals, hods, floor, POINT_TAIL)
    band_high, band_low = hour_of_day_scales(residuals, hods, floor, BAND_TAIL)
    z = _standardized(residuals, hods, high_scale, low_scale)
    band_z = _standardized(residuals, hods, band_high, band_low)
    weeks = max(float(np.isfinite(z).sum()) / HOURS_PER_WEEK, 1.0)
    # The base-load test learns from the whole history even when the bands cover only part.
    base_weeks = (
        weeks if expected is None else max(np.isfinite(learnable).sum() / HOURS_PER_WEEK, 1.0)
    )
    grid = np.full(int(hours[-1] - hours[0]) + 1, np.nan)
    grid[hours - hours[0]] = learnable
    base_floor = base_floor_of(learnable)
    base = base_path(grid, base_floor)
    floor_value = nan_quantile(learnable, FLOOR_QUANTILE)
    residual_grid = np.full(grid.size, np.nan)
    residual_grid[hours - hours[0]] = residuals
    persist_spread = max(nan_quantile(residuals, SCALE_QUANTILE), floor)
    persist = persist_path(residual_grid, grid, persist_spread, floor)
    thresholds = EnergyThresholds(
        high_scale=high_scale,
        low_scale=low_scale,
        z_high=max(
            threshold_for_budget(z, POINT_BUDGET * weeks, MIN_POINT_HIGH),
            tail_threshold(z, POINT_BUDGET / HOURS_PER_WEEK),
        ),
        z_low=max(
            threshold_for_budget(-z, POINT_BUDGET * weeks, MIN_POINT_LOW),
            tail_threshold(-z, POINT_BUDGET / HOURS_PER_WEEK),
        ),
        band_high=band_high,
        band_low=band_low,
        cusum_high=threshold_for_budget(cusum_path(band_z), CUSUM_BUDGET * weeks, MIN_CUSUM),
        cusum_low=threshold_for_budget(cusum_path(-band_z), CUSUM_BUDGET * weeks, MIN_CUSUM),
        floor_value=floor_value,
        floor_scale=FLOOR_SHARE * max(abs(floor_value), floor),
        base_high=threshold_for_budget(base, BASE_BUDGET * base_weeks, MIN_BASE_Z),
        base_low=threshold_for_budget(-base, BASE_BUDGET * base_weeks, MIN_BASE_Z),
        base_floor=base_floor,
        external=expected is not None,
        own_weight=own_weight if expected is not None else 0.0,
        span=span and expected is not None,
        persist_high=threshold_for_budget(persist, PERSIST_BUDGET * weeks, MIN_PERSIST),
        persist_spread=persist_spread,
        persist_floor=floor,
        persist_sum_high=threshold_for_budget(
            persist_sum_path(persist), PERSIST_SUM_BUDGET * weeks, MIN_PERSIST_SUM
        ),
    )
    detector = EnergyAnomalyDetector(settings, thresholds)
    detector.history_hours = data_span(hours, values)
    # Hours that were already far off stay out of the profile, like online alarms do.
    far_off = (z > thresholds.z_high) | (-z > thresholds.z_low)
    usable = np.isfinite(learnable) & ~far_off
    start = np.searchsorted(hours, hours[-1] - settings.history_weeks * HOURS_PER_WEEK + 1)
    for hour, value, learn in zip(
        hours[start:].tolist(), values[start:].tolist(), usable[start:].tolist(), strict=True
    ):
        detector.remember(hour, value, learn=learn)
    recent = np.searchsorted(hours, hours[-1] - SCALE_HOURS + 1)
    for hour, residual, value in zip(
        hours[recent:].tolist(), residuals[recent:].tolist(), values[recent:].tolist(), strict=True
    ):
        detector.remember_residual(hour, residual, value - residual)
    return detector
