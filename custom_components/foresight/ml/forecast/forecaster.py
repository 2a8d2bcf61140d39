"""Train a forecaster on a home's history and forecast from any issue time."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .backtest import FIRST_TRAINING_POSITION, BacktestResult, row_ages, run_backtest
from .baselines import SAME_HOUR_MEAN_7D, baseline_forecasts
from .engines import Engine, create_engine, resolve_engine
from .errors import NotEnoughHistoryError
from .features import (
    DAY_HOURS,
    LOOKBACK_HOURS,
    FeatureLayout,
    FillValues,
    build_features,
    day_ahead_features,
    fill_values,
    make_layout,
)
from .forecast import Forecast
from .grid import HOUR, HourlyGrid, build_grid, carry_forward, to_utc_hour
from .intervals import IntervalCalibration, calibrate
from .recent_check import recent_shift, shift_explained
from .settings import MAX_HORIZON_HOURS, ForecastSettings

#: Fewest hours with a known target to train on: two weeks, one to learn and one to check.
MIN_HISTORY_HOURS = 14 * DAY_HOURS


@dataclass(slots=True)
class Forecaster:
    """A trained forecaster (model or naive baseline) and what its backtest found.

    Attributes:
        settings: Settings it was trained with.
        engine: Engine that was fitted and backtested (``"numpy"`` or ``"sklearn"``).
        serves_baseline: True when the model did not beat the best naive baseline in the
            backtest, so forecasts come from that baseline instead (surface this as a repair).
        baseline_name: Best naive baseline of the backtest (the one served if any).
        backtest: Scores of the rolling-origin backtest.
        trained_until: End (exclusive) of the last hour it learnt from (UTC).
        layout: Feature groups.
        fills: Stand-ins for unknown inputs.
        calibration: P10-P90 offsets.
        model: Fitted engine, or None when the baseline is served.
    """

    settings: ForecastSettings
    engine: str
    serves_baseline: bool
    baseline_name: str
    backtest: BacktestResult
    trained_until: pd.Timestamp
    layout: FeatureLayout
    fills: FillValues
    calibration: IntervalCalibration
    model: Engine | None = field(default=None, repr=False)

    def predict(
        self,
        history: pd.DataFrame,
        issue_time: pd.Timestamp,
        future_features: pd.DataFrame | None = None,
        hours: int | None = None,
    ) -> Forecast:
        """Forecast the hours after the issue time.

        Only hours of ``history`` that ended by ``issue_time`` are used. The first forecast
        hour is the first whole hour at or after ``issue_time``.

        Args:
            history: Recent history in the input convention; the last ``LOOKBACK_HOURS``
                (720 hours, 30 days) before the issue time suffice, less makes the
                recent-level features fall back to coarser values.
            issue_time: Tz-aware time the forecast is made at.
            future_features: Optional frame of exogenous forecasts (e.g. weather forecast
                temperature) indexed by hour; where missing, the last known value is used.
            hours: Hours to forecast (default ``settings.horizon_hours``, at most 168).

        Returns:
            The forecast.

        Raises:
            ValueError: ``issue_time`` is naive or ``hours`` is out of range.
        """
        issue = to_utc_hour(issue_time)
        hours = self.settings.horizon_hours if hours is None else hours
        if not 1 <= hours <= MAX_HORIZON_HOURS:
            msg = f"hours must be 1..{MAX_HORIZON_HOURS}, got {hours}"
            raise ValueError(msg)
        first = issue.ceil("h")
        grid = _forecast_grid(
            history, future_features, issue=issue, first=first, hours=hours, layout=self.layout
        )
        positions = np.arange(LOOKBACK_HOURS, LOOKBACK_HOURS + hours, dtype=np.int64)
        leads = positions - LOOKBACK_HOURS
        shifts = (DAY_HOURS * (leads // DAY_HOURS + 1)).astype(np.int64)
        # The 24 hours before the issue time as forecast 24 hours earlier, for the check of
        # the model against the baselines (``recent_check``); one call builds both.
        checked = np.arange(LOOKBACK_HOURS - DAY_HOURS, LOOKBACK_HOURS, dtype=np.int64)
        both = build_features(
            grid,
            np.concatenate([checked, positions]),
            np.concatenate([np.full(DAY_HOURS, DAY_HOURS, dtype=np.int64), shifts]),
            self.layout,
            self.fills,
            time_zone=self.settings.time_zone,
            country=self.settings.country,
            subdivision=self.settings.subdivision,
            location=self.settings.location,
            issues=np.repeat(
                np.array([LOOKBACK_HOURS - DAY_HOURS, LOOKBACK_HOURS], dtype=np.int64),
                [DAY_HOURS, hours],
            ),
        )
        past, matrix = both[:DAY_HOURS], both[DAY_HOURS:]
        baselines = baseline_forecasts(matrix, self.layout.names)
        naive = baselines[self.baseline_name]
        if self.model is None:
            p50 = naive.copy()
            baseline = naive.copy()
            contributions: dict[str, np.ndarray] = {}
        else:
            shift = recent_shift(
                grid.target[checked],
                self.model.predict(past),
                baseline_forecasts(past, self.layout.names),
            )
            explained = shift_explained(
                self.model.explain(matrix), baselines[shift.baseline], shift
            )
            p50, baseline, contributions = (
                explained.p50,
                explained.baseline,
                explained.contributions,
            )
        p10, p90 = self.calibration.bounds(p50)
        return Forecast(
            timestamps=grid.index[positions],
            p10=p10,
            p50=p50,
            p90=p90,
            baseline=baseline,
            contributions=contributions,
            baselines=baselines,
            time_zone=self.settings.time_zone,
            served_baseline=self.baseline_name if self.model is None else None,
        )


def _forecast_grid(
    history: pd.DataFrame,
    future_features: pd.DataFrame | None,
    *,
    issue: pd.Timestamp,
    first: pd.Timestamp,
    hours: int,
    layout: FeatureLayout,
) -> HourlyGrid:
    """Grid from ``first - LOOKBACK_HOURS`` to the last forecast hour.

    Exogenous values of the forecast hours come from ``future_features`` where given and
    otherwise carry the last known value forward (nothing later than the issue time).
    """
    start = first - LOOKBACK_HOURS * HOUR
    size = LOOKBACK_HOURS + hours
    index = pd.date_range(start, periods=size, freq="h")
    known = history[(history.index >= start) & (history.index <= issue - HOUR)]
    past = build_grid(known, layout.exogenous) if len(known) else None
    target = np.full(size, np.nan)
    past_slots = np.empty(0, dtype=np.int64)
    if past is not None:
        past_slots = ((past.index - start) // HOUR).to_numpy(dtype=np.int64)
        target[past_slots] = past.target
    features: dict[str, np.ndarray] = {}
    for name in layout.exogenous:
        values = np.full(size, np.nan)
        if past is not None:
            values[past_slots] = past.features[name]
        if future_features is not None and name in future_features.columns:
            future = future_features[name]
            stamps = pd.DatetimeIndex(future.index).tz_convert("UTC").floor("h")
            slots = ((stamps - start) // HOUR).to_numpy(dtype=np.int64)
            ahead = (slots >= LOOKBACK_HOURS) & (slots < size)
            forecast_values = future.to_numpy(dtype=float)[ahead]
            usable = np.isfinite(forecast_values)
            values[slots[ahead][usable]] = forecast_values[usable]
        features[name] = carry_forward(values)
    return HourlyGrid(index=index, target=target, features=features)


def train_forecaster(frame: pd.DataFrame, settings: ForecastSettings) -> Forecaster:
    """Fit the model, backtest it against the naive baselines and keep the better one.

    Args:
        frame: History in the input convention (hourly UTC index, ``target``, feature
            columns, optional ``excluded``).
        settings: Home and model settings.

    Returns:
        The trained forecaster; check ``serves_baseline``.

    Raises:
        NotEnoughHistoryError: Fewer than ``MIN_HISTORY_HOURS`` usable hours.
        ImportError: ``engine="sklearn"`` without scikit-learn installed.
    """
    grid = build_grid(frame, settings.feature_columns)
    usable = int(np.isfinite(grid.target).sum())
    if usable < MIN_HISTORY_HOURS:
        raise NotEnoughHistoryError(usable, MIN_HISTORY_HOURS)
    engine_name = resolve_engine(settings.engine)
    layout = make_layout(
        settings.feature_columns,
        with_holidays=settings.country is not None,
        with_season=len(grid) >= settings.season_min_days * DAY_HOURS,
        with_daylight=settings.location is not None,
    )
    result, predictions = run_backtest(grid, layout, settings, lambda: create_engine(engine_name))
    serves_baseline = not result.skill > settings.min_skill
    baseline_name = result.best_baseline if np.isfinite(result.model_mae) else SAME_HOUR_MEAN_7D
    served = predictions.baselines[baseline_name] if serves_baseline else predictions.model
    non_negative = bool(np.nanmin(grid.target) >= 0)
    calibration = calibrate(
        served, predictions.actual, coverage=settings.coverage, non_negative=non_negative
    )
    fills = fill_values(grid, len(grid))
    model: Engine | None = None
    if not serves_baseline:
        rows = np.arange(FIRST_TRAINING_POSITION, len(grid), dtype=np.int64)
        rows = rows[np.isfinite(grid.target[rows])]
        matrix = day_ahead_features(grid, rows, layout, fills, settings)
        model = create_engine(engine_name)
        model.fit(matrix, grid.target[rows], layout, age_hours=row_ages(rows))
    return Forecaster(
        settings=settings,
        engine=engine_name,
        serves_baseline=serves_baseline,
        baseline_name=baseline_name,
        backtest=result,
        trained_until=grid.index[-1] + HOUR,
        layout=layout,
        fills=fills,
        calibration=calibration,
        model=model,
    )
