"""The day-by-day check of the model against the baselines on the last 24 hours."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custom_components.foresight.ml.forecast import ForecastSettings, train_forecaster
from custom_components.foresight.ml.forecast.baselines import (
    SAME_HOUR_LAST_WEEK,
    SAME_HOUR_MEAN_7D,
    SAME_HOUR_YESTERDAY,
)
from custom_components.foresight.ml.forecast.engines.base import Explained
from custom_components.foresight.ml.forecast.features import DAILY_PATTERN, RECENT_LEVEL
from custom_components.foresight.ml.forecast.recent_check import (
    MIN_CHECK_HOURS,
    SHIFT_RATIO_HIGH,
    SHIFT_RATIO_LOW,
    RecentShift,
    recent_shift,
    shift_days,
    shift_explained,
    shift_forecast,
)
from custom_components.foresight.ml.forecast.settings import EngineChoice
from custom_components.foresight.ml.synthetic import synthetic_home

from .engines import ENGINES

FEATURES = ("outdoor_temp", "occupancy")


def _baselines(yesterday: float, week: float = 5.0, mean: float = 5.0) -> dict[str, np.ndarray]:
    return {
        SAME_HOUR_YESTERDAY: np.full(24, yesterday),
        SAME_HOUR_LAST_WEEK: np.full(24, week),
        SAME_HOUR_MEAN_7D: np.full(24, mean),
    }


@pytest.mark.parametrize(
    ("model_error", "weight"),
    [(1.0, 0.0), (SHIFT_RATIO_LOW, 0.0), (2.0, 0.5), (SHIFT_RATIO_HIGH, 1.0), (4.0, 1.0)],
)
def test_the_shift_ramps_with_the_model_error_relative_to_the_best_baseline(
    model_error: float, weight: float
) -> None:
    actual = np.full(24, 1.0)
    # Yesterday's same hour missed by 1, the two others by 4: the best baseline is yesterday.
    shift = recent_shift(actual, actual + model_error, _baselines(yesterday=2.0))
    assert shift.baseline == SAME_HOUR_YESTERDAY
    assert shift.weight == pytest.approx(weight)


def test_no_shift_without_enough_known_hours() -> None:
    actual = np.full(24, np.nan)
    actual[: MIN_CHECK_HOURS - 1] = 1.0
    shift = recent_shift(actual, np.full(24, 9.0), _baselines(yesterday=1.0))
    assert shift.weight == 0.0


def test_an_exact_baseline_is_followed_unless_the_model_was_exact_too() -> None:
    actual = np.full(24, 1.0)
    assert recent_shift(actual, actual + 0.1, _baselines(yesterday=1.0)).weight == 1.0
    assert recent_shift(actual, actual.copy(), _baselines(yesterday=1.0)).weight == 0.0


def test_the_shifted_explanation_is_exact_and_moves_the_recent_level() -> None:
    rng = np.random.default_rng(0)
    parts = {DAILY_PATTERN: rng.normal(0, 1, 24), RECENT_LEVEL: rng.normal(0, 1, 24)}
    base = np.full(24, 2.0)
    explained = Explained(
        p50=base + parts[DAILY_PATTERN] + parts[RECENT_LEVEL], baseline=base, contributions=parts
    )
    naive = rng.uniform(0, 3, 24)
    shift = RecentShift(weight=0.3, baseline=SAME_HOUR_YESTERDAY)
    shifted = shift_explained(explained, naive, shift)
    np.testing.assert_allclose(shifted.p50, shift_forecast(explained.p50, naive, shift), atol=1e-12)
    total = shifted.baseline + np.sum(list(shifted.contributions.values()), axis=0)
    np.testing.assert_allclose(total, shifted.p50, atol=1e-12)
    np.testing.assert_array_equal(shifted.baseline, explained.baseline)
    np.testing.assert_allclose(shifted.contributions[DAILY_PATTERN], 0.7 * parts[DAILY_PATTERN])
    # No shift: the very same explanation.
    assert shift_explained(explained, naive, RecentShift(0.0, SAME_HOUR_YESTERDAY)) is explained


def test_the_backtest_checks_each_day_on_the_day_before() -> None:
    positions = np.arange(72, dtype=np.int64)
    actual = np.r_[np.full(24, 1.0), np.full(24, 1.0), np.full(24, 1.0)]
    # The model is exact on the first day and far off on the second.
    model = np.r_[np.full(24, 1.0), np.full(24, 5.0), np.full(24, 5.0)]
    baselines = {
        SAME_HOUR_YESTERDAY: np.full(72, 1.0),
        SAME_HOUR_LAST_WEEK: np.full(72, 3.0),
        SAME_HOUR_MEAN_7D: np.full(72, 3.0),
    }
    out = shift_days(np.array([24, 48]), positions, actual, model, baselines)
    np.testing.assert_array_equal(out[:48], model[:48])  # the day after an exact day is kept
    np.testing.assert_array_equal(out[48:], 1.0)  # the day after a miss is the baseline
    # The check judges the day before as ``checked`` has it (observed sensors, as served),
    # here exact: the second day's miss no longer moves the third day.
    kept = shift_days(
        np.array([24, 48]), positions, actual, model, baselines, checked=np.full(72, 1.0)
    )
    np.testing.assert_array_equal(kept, model)


@pytest.mark.parametrize("engine_name", ENGINES)
def test_after_two_days_away_the_forecast_follows_yesterday(engine_name: EngineChoice) -> None:
    home = synthetic_home(90, seed=5)
    settings = ForecastSettings(
        time_zone="Europe/Berlin",
        country="DE",
        engine=engine_name,
        feature_columns=FEATURES,
        min_skill=-1.0,
    )
    trained = train_forecaster(home.iloc[: -24 * 7], settings)
    assert trained.model is not None
    issue = home.index[-24 * 5]
    history = home[home.index < issue]
    usual = trained.predict(history, issue, hours=24)
    away = history.copy()
    # Everyone left two days ago: the load is the fridge's.
    away.loc[away.index >= issue - pd.Timedelta(hours=48), "target"] = 0.05
    forecast = trained.predict(away, issue, hours=24)
    total = forecast.baseline + np.sum(list(forecast.contributions.values()), axis=0)
    np.testing.assert_allclose(total, forecast.p50, atol=1e-9)
    assert np.all(np.abs(forecast.p50 - 0.05) < 0.01)
    assert np.mean(usual.p50) > 0.2
