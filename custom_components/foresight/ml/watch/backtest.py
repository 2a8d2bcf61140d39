"""Holdout backtest on the sensor's own recent history: model against naive baselines.

The last quarter of the history (one to fourteen days) is held out. The model and its daily
pattern are fitted on the rest; every lead bucket is then scored from every holdout issue
position whose target is known, next to the three baselines on the same pairs. The residuals
of the predictor that will be served calibrate its P10/P90 per lead; the coverage reported
is that of intervals calibrated on the other half of the holdout.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

import numpy as np
import numpy.typing as npt
import pandas as pd

from .baselines import BASELINE_NAMES, PERSISTENCE, baseline_changes
from .features import build_context, fit_profile
from .grid import SensorGrid
from .intervals import LeadIntervals, calibrate_leads
from .training import fit_lead_model, pair_origins, predict_change

type FloatArray = npt.NDArray[np.float64]
type IntArray = npt.NDArray[np.int64]

MODEL = "model"
#: Holdout share of the history, and its bounds in days.
HOLDOUT_SHARE = 0.25
HOLDOUT_MIN_DAYS = 1
HOLDOUT_MAX_DAYS = 14
#: Most scored issue positions per lead bucket.
MAX_SCORED = 4_000


@dataclass(frozen=True, slots=True)
class WatchBacktest:
    """How the model and the naive baselines did on the held-out recent past.

    Attributes:
        model_mae: Mean absolute error of the model's median, averaged over lead buckets.
        baseline_mae: The same for each baseline, on the same pairs.
        best_baseline: Baseline with the lowest error.
        skill: ``1 - model_mae / best baseline mae`` (positive = model better).
        coverage: Share of scored values inside P10-P90 of the served predictor
            (calibrated on the other half of the holdout).
        pairs_scored: Issue-position/lead pairs scored, over all buckets.
        holdout_hours: Length of the holdout.
    """

    model_mae: float
    baseline_mae: dict[str, float]
    best_baseline: str
    skill: float
    coverage: float
    pairs_scored: int
    holdout_hours: float


@dataclass(frozen=True, slots=True)
class BacktestOutcome:
    """The scores and what the forecaster needs from them.

    Attributes:
        result: The scores.
        serves_baseline: Whether a baseline is served instead of the model.
        served: Name of the served predictor (``"model"`` or a baseline name).
        intervals: P10/P90 calibration of the served predictor.
    """

    result: WatchBacktest
    serves_baseline: bool
    served: str
    intervals: LeadIntervals


def holdout_start(grid: SensorGrid) -> int:
    """First holdout position."""
    day = int(pd.Timedelta(days=1) / grid.step)
    size = int(len(grid) * HOLDOUT_SHARE)
    size = min(max(size, HOLDOUT_MIN_DAYS * day), HOLDOUT_MAX_DAYS * day)
    return max(len(grid) - size, 0)


def _mae(residuals: list[FloatArray]) -> float:
    scores = [float(np.mean(np.abs(values))) for values in residuals if values.size]
    return float(np.mean(scores)) if scores else math.nan


def run_backtest(
    grid: SensorGrid,
    time_zone: str,
    feature_columns: tuple[str, ...],
    leads: IntArray,
) -> BacktestOutcome:
    """Score the model and the baselines on the holdout and calibrate the intervals.

    Args:
        grid: Full history.
        time_zone: Local time zone of the daily pattern.
        feature_columns: Exogenous columns.
        leads: Lead buckets (steps).
    """
    split = holdout_start(grid)
    profile = fit_profile(grid, time_zone, end=split)
    context = build_context(grid, feature_columns, profile, time_zone, int(leads.max()))
    model = fit_lead_model(grid, context, leads, split)
    names = (MODEL, *BASELINE_NAMES)
    residuals: dict[str, list[FloatArray]] = {name: [] for name in names}
    halves: list[npt.NDArray[np.bool_]] = []
    activity: list[FloatArray] = []
    middle = split + (len(grid) - split) // 2
    for lead in leads:
        origins = pair_origins(grid.target, int(lead), split, len(grid), MAX_SCORED)
        actual = grid.target[origins + lead] - context.level[origins]
        predicted = {MODEL: predict_change(model, context, origins, int(lead), grid.steps_per_hour)}
        for name in BASELINE_NAMES:
            predicted[name] = baseline_changes(name, context, origins, int(lead), grid.step)
        for name in names:
            residuals[name].append(actual - predicted[name])
        halves.append(origins < middle)
        activity.append(np.abs(context.slopes[0][origins]))
    model_mae = _mae(residuals[MODEL])
    baseline_mae = {name: _mae(residuals[name]) for name in BASELINE_NAMES}
    scored = {name: value for name, value in baseline_mae.items() if math.isfinite(value)}
    best = min(scored, key=lambda name: scored[name]) if scored else PERSISTENCE
    best_mae = baseline_mae[best]
    serves_baseline = not model_mae < best_mae
    served = best if serves_baseline else MODEL
    skill = 1.0 - model_mae / best_mae if best_mae > 0 and math.isfinite(model_mae) else 0.0
    fallback = _step_scale(grid.target)
    intervals = calibrate_leads(leads, residuals[served], activity, fallback)
    result = WatchBacktest(
        model_mae=model_mae,
        baseline_mae=baseline_mae,
        best_baseline=best,
        skill=skill,
        coverage=_coverage(leads, residuals[served], activity, halves, fallback),
        pairs_scored=sum(values.size for values in residuals[MODEL]),
        holdout_hours=(len(grid) - split) * (grid.step / pd.Timedelta(hours=1)),
    )
    return BacktestOutcome(result, serves_baseline, served, intervals)


def _step_scale(target: FloatArray) -> float:
    """Typical change from one step to the next (for intervals without residuals)."""
    changes = np.diff(target)
    changes = changes[np.isfinite(changes)]
    return float(np.std(changes)) if changes.size else 0.0


def _coverage(
    leads: IntArray,
    residuals: list[FloatArray],
    activity: list[FloatArray],
    halves: list[npt.NDArray[np.bool_]],
    fallback: float,
) -> float:
    """Share inside intervals calibrated on the other half of the holdout."""
    inside = 0
    total = 0
    for first in (True, False):
        calibration = calibrate_leads(
            leads,
            [values[half == first] for values, half in zip(residuals, halves, strict=True)],
            [motion[half == first] for motion, half in zip(activity, halves, strict=True)],
            fallback,
        )
        for number, values in enumerate(residuals):
            tested = halves[number] != first
            zero = np.zeros(int(tested.sum()))
            column = np.searchsorted(
                calibration.edges, np.nan_to_num(activity[number][tested]), side="right"
            )
            low = zero + calibration.lower[number, column]
            high = zero + calibration.upper[number, column]
            kept = values[tested]
            inside += int(np.sum((kept >= low) & (kept <= high)))
            total += kept.size
    return inside / total if total else math.nan
