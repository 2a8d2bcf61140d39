"""Rolling-origin backtest on the home's own recent history.

The last weeks are split into at most four folds of whole weeks (two after a year of
history). For each fold the engine is fitted on all hours before the fold and forecasts each
day of the fold as issued at local midnight (day ahead), next to the three naive baselines
on the same hours, with the day-by-day check of ``recent_check`` as the forecaster serves
them. The out-of-sample residuals also calibrate the P10-P90 interval.

A forecast day sees each sensor as a served forecast does: a sensor with a forecast
(``forecast_columns``, the outdoor temperature from a weather entity) as observed, every
other one as its last value before the issue time, carried over the day. The model learns
from the observed values, and the check of the day before sees them, as in
``Forecaster.predict``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import math

import numpy as np
import numpy.typing as npt

from .baselines import BASELINE_NAMES, baseline_forecasts
from .engines import Engine
from .features import DAY_HOURS, FeatureLayout, day_ahead_features, fill_values
from .grid import HourlyGrid
from .intervals import calibrate
from .recent_check import shift_days
from .settings import ForecastSettings

type FloatArray = npt.NDArray[np.float64]
type IntArray = npt.NDArray[np.int64]

FOLD_DAYS = 7
#: Most refits per backtest: longer backtests use longer folds instead of more fits.
MAX_FOLDS = 4
#: With this much history before the backtest, two folds of 14 days stand in for four of 7:
#: a week more of a year's rows barely moves the model, and each refit on years of rows is
#: what a training costs (20 entries x 2 years, scikit-learn: 58-59 s -> 38 s, bench.entries).
#: On the household's validation years the change left sklearn's MAE the same to 5 digits
#: (2008-09 and 2007-08, same days on the baseline) and numpy's the same in 2008-09, +0.19
#: points in 2007-08; coverage moved by 0.15 points at most. With a few months of history
#: a fold's model trained on 14 days less is much worse (the test home: skill +8 % -> -55 %),
#: so short histories keep four folds.
LONG_HISTORY_DAYS = 365
LONG_HISTORY_FOLDS = 2
#: Training rows start here: earlier rows have no lag of the day before at all.
FIRST_TRAINING_POSITION = DAY_HOURS


@dataclass(frozen=True, slots=True)
class BacktestResult:
    """How the model and the naive baselines did on the recent past.

    Attributes:
        model_mae: Mean absolute error of the model's median forecast.
        baseline_mae: Mean absolute error of each naive baseline on the same hours.
        best_baseline: Name of the baseline with the lowest error.
        skill: ``1 - model_mae / best baseline mae`` (positive = model better).
        coverage: Share of hours inside the P10-P90 interval of the model (calibrated on
            the other weeks, or in-sample when there is only one week).
        days_evaluated: Days forecast.
        hours_evaluated: Hours with a known value that were scored.
    """

    model_mae: float
    baseline_mae: dict[str, float]
    best_baseline: str
    skill: float
    coverage: float
    days_evaluated: int
    hours_evaluated: int


@dataclass(frozen=True, slots=True)
class BacktestPredictions:
    """Out-of-sample forecasts of the scored hours, for interval calibration.

    Attributes:
        actual: Observed values.
        model: Model's median forecasts.
        baselines: Each baseline's forecasts.
        week: Week of the backtest each hour falls in: the coverage estimate leaves one week
            out, whatever the folds the model was fitted in.
    """

    actual: FloatArray
    model: FloatArray
    baselines: dict[str, FloatArray]
    week: IntArray


def day_starts(grid: HourlyGrid, time_zone: str) -> IntArray:
    """Grid positions where a local day begins (the first hour of each local date)."""
    dates = grid.index.tz_convert(time_zone).normalize()
    starts = np.flatnonzero(np.r_[True, dates[1:] != dates[:-1]])
    return starts.astype(np.int64)


def backtest_days(total_days: int, most: int) -> int:
    """Days to evaluate: half the history, in whole weeks, between one week and ``most``."""
    return max(FOLD_DAYS, min(most, (total_days // 2) // FOLD_DAYS * FOLD_DAYS))


def row_ages(rows: IntArray) -> FloatArray:
    """Age in hours of each training row (sorted grid positions) before the newest one."""
    if rows.size == 0:
        return np.empty(0)
    return np.asarray(rows[-1] - rows, dtype=np.float64)


def _score(actual: FloatArray, predicted: FloatArray) -> float:
    return float(np.mean(np.abs(actual - predicted)))


def run_backtest(
    grid: HourlyGrid,
    layout: FeatureLayout,
    settings: ForecastSettings,
    make_engine: Callable[[], Engine],
) -> tuple[BacktestResult, BacktestPredictions]:
    """Run the rolling-origin backtest.

    Args:
        grid: Full training history.
        layout: Feature groups of the model.
        settings: Time zone, country, most days, coverage.
        make_engine: Creates a fresh engine for each fold.

    Returns:
        The scores and the out-of-sample forecasts behind them.
    """
    starts = day_starts(grid, settings.time_zone)
    complete = starts[starts + DAY_HOURS <= len(grid)]
    evaluated = complete[-backtest_days(len(complete), settings.backtest_days) :]
    history_days = int(evaluated[0]) // DAY_HOURS if len(evaluated) else 0
    most = LONG_HISTORY_FOLDS if history_days >= LONG_HISTORY_DAYS else MAX_FOLDS
    fold_length = FOLD_DAYS * max(1, math.ceil(len(evaluated) / (most * FOLD_DAYS)))
    folds = [evaluated[i : i + fold_length] for i in range(0, len(evaluated), fold_length)]
    actual_parts: list[FloatArray] = []
    model_parts: list[FloatArray] = []
    week_parts: list[IntArray] = []
    baseline_parts: dict[str, list[FloatArray]] = {name: [] for name in BASELINE_NAMES}
    for number, fold_days in enumerate(folds):
        origin = int(fold_days[0])
        train = np.arange(FIRST_TRAINING_POSITION, origin, dtype=np.int64)
        train = train[np.isfinite(grid.target[train])]
        scored = (fold_days[:, None] + np.arange(DAY_HOURS)[None, :]).ravel()
        day_number = number * fold_length + np.arange(len(fold_days))
        weeks = np.repeat(day_number // FOLD_DAYS, DAY_HOURS)
        known = np.isfinite(grid.target[scored])
        scored, weeks = scored[known], weeks[known]
        if train.size == 0 or scored.size == 0:
            continue
        fills = fill_values(grid, origin)
        rows = np.concatenate([train, scored])
        matrix = day_ahead_features(grid, rows, layout, fills, settings)
        served = day_ahead_features(grid, scored, layout, fills, settings, as_served=True)
        engine = make_engine()
        engine.fit(
            matrix[: train.size],
            grid.target[train],
            layout,
            age_hours=row_ages(train),
            explainable=False,  # the fold only predicts its days
        )
        actual_parts.append(grid.target[scored])
        model_parts.append(
            _checked_forecast(
                engine, grid, matrix, served, layout, train=train, scored=scored, days=fold_days
            )
        )
        week_parts.append(weeks.astype(np.int64))
        for name, values in baseline_forecasts(served, layout.names).items():
            baseline_parts[name].append(values)
    predictions = BacktestPredictions(
        actual=np.concatenate(actual_parts) if actual_parts else np.empty(0),
        model=np.concatenate(model_parts) if model_parts else np.empty(0),
        baselines={
            name: np.concatenate(parts) if parts else np.empty(0)
            for name, parts in baseline_parts.items()
        },
        week=np.concatenate(week_parts) if week_parts else np.empty(0, dtype=np.int64),
    )
    return _summarise(predictions, settings, days=len(evaluated)), predictions


def _checked_forecast(
    engine: Engine,
    grid: HourlyGrid,
    matrix: FloatArray,
    served: FloatArray,
    layout: FeatureLayout,
    *,
    train: IntArray,
    scored: IntArray,
    days: IntArray,
) -> FloatArray:
    """The fold's forecasts with the day-by-day check of ``recent_check``, as served.

    Each day is forecast from ``served`` (sensors as known at its issue time) and checked on
    the day before as ``matrix`` (observed sensors) has it, like ``Forecaster.predict``. The
    24 hours before the fold are training rows: their forecast is in-sample, the only
    difference from the served forecasts (which check the model out of sample).
    """
    before = train[train >= days[0] - DAY_HOURS].size
    rows = matrix[train.size - before :]
    positions = np.concatenate([train[train.size - before :], scored])
    checked = engine.predict(rows)
    predicted = shift_days(
        days,
        positions,
        grid.target[positions],
        np.concatenate([checked[:before], engine.predict(served)]),
        baseline_forecasts(rows, layout.names),
        checked=checked,
    )
    return predicted[before:]


def _summarise(
    predictions: BacktestPredictions, settings: ForecastSettings, *, days: int
) -> BacktestResult:
    actual = predictions.actual
    if actual.size == 0:
        nan = float("nan")
        # Nothing was judged (e.g. a target silent for weeks): the skill is unknown, not 0.
        return BacktestResult(
            nan, dict.fromkeys(BASELINE_NAMES, nan), BASELINE_NAMES[0], nan, nan, 0, 0
        )
    model_mae = _score(actual, predictions.model)
    baseline_mae = {name: _score(actual, values) for name, values in predictions.baselines.items()}
    best = min(baseline_mae, key=lambda name: baseline_mae[name])
    skill = 1.0 - model_mae / baseline_mae[best] if baseline_mae[best] > 0 else 0.0
    return BacktestResult(
        model_mae=model_mae,
        baseline_mae=baseline_mae,
        best_baseline=best,
        skill=skill,
        coverage=_coverage(predictions, settings.coverage),
        days_evaluated=days,
        hours_evaluated=int(actual.size),
    )


def _coverage(predictions: BacktestPredictions, nominal: float) -> float:
    """Share of hours inside intervals calibrated without the hour's own week."""
    non_negative = bool(np.all(predictions.actual >= 0))
    inside = np.zeros(predictions.actual.size, dtype=bool)
    weeks = np.unique(predictions.week)
    for week in weeks:
        here = predictions.week == week
        others = ~here if weeks.size > 1 else here
        calibration = calibrate(
            predictions.model[others],
            predictions.actual[others],
            coverage=nominal,
            non_negative=non_negative,
        )
        low, high = calibration.bounds(predictions.model[here])
        actual = predictions.actual[here]
        inside[here] = (actual >= low) & (actual <= high)
    return float(inside.mean())
