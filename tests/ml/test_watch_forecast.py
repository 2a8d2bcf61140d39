"""Training and forecasting a sensor: model against baselines, additivity, gaps, staleness."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custom_components.foresight.ml.watch import (
    BASELINE_NAMES,
    MIN_HISTORY_HOURS,
    NoRecentDataError,
    NotEnoughHistoryError,
    SensorForecaster,
    WatchSettings,
    fit_sensor_forecaster,
)
from custom_components.foresight.ml.watch.baselines import (
    LINEAR_DRIFT,
    PERSISTENCE,
    SAME_TIME_YESTERDAY,
    baseline_changes,
)
from custom_components.foresight.ml.watch.features import (
    DRIFT,
    build_context,
    fit_profile,
    lead_features,
)
from custom_components.foresight.ml.watch.grid import build_grid
from custom_components.foresight.ml.watch.intervals import calibrate_leads
from custom_components.foresight.ml.watch.model import fit_ridge, lead_buckets

from .watch_synthetic import ZONE, battery, humidity, room, soil


@pytest.fixture(scope="module")
def room_forecaster() -> tuple[pd.DataFrame, SensorForecaster]:
    frame = room(21, seed=3)
    settings = WatchSettings(time_zone=ZONE, horizon_hours=24, unit="°C")
    return frame, fit_sensor_forecaster(frame, settings)


def test_five_minute_room_model_beats_every_baseline(
    room_forecaster: tuple[pd.DataFrame, SensorForecaster],
) -> None:
    _, forecaster = room_forecaster
    assert forecaster.step == pd.Timedelta(minutes=5)
    assert not forecaster.serves_baseline
    backtest = forecaster.backtest
    assert set(backtest.baseline_mae) == set(BASELINE_NAMES)
    assert backtest.model_mae < min(backtest.baseline_mae.values())
    assert backtest.skill > 0.2
    assert 0.65 <= backtest.coverage <= 0.95
    assert backtest.holdout_hours == pytest.approx(21 * 24 / 4)


def test_forecast_is_additive_ordered_and_explained(
    room_forecaster: tuple[pd.DataFrame, SensorForecaster],
) -> None:
    frame, forecaster = room_forecaster
    now = frame.index[-1]
    forecast = forecaster.forecast(frame, now)
    assert len(forecast) == 24 * 12
    assert forecast.timestamps[0] > now
    assert forecast.timestamps[0] - now <= pd.Timedelta(minutes=5)
    total = forecast.baseline + np.sum(list(forecast.contributions.values()), axis=0)
    np.testing.assert_allclose(total, forecast.p50, atol=1e-9)
    assert (forecast.p10 <= forecast.p50).all()
    assert (forecast.p50 <= forecast.p90).all()
    assert forecast.p90[-1] - forecast.p10[-1] > forecast.p90[0] - forecast.p10[0]
    assert {"recent_trend", "daily_pattern", "mean_reversion", DRIFT} <= set(forecast.contributions)
    assert forecast.current_value == pytest.approx(frame["target"].iloc[-1], abs=0.01)
    # The daily swing peaks at 15:00 local: the forecast for 15:00 is above the one for 03:00.
    local = forecast.timestamps.tz_convert(ZONE)
    afternoon = forecast.p50[(local.hour == 15) & (local.minute == 0)][0]
    night = forecast.p50[(local.hour == 3) & (local.minute == 0)][0]
    assert afternoon > night + 1.5
    text = forecast.explain(int(np.flatnonzero((local.hour == 15) & (local.minute == 0))[0]))
    assert text.startswith("Expected ")
    assert "°C at 15:00: now " in text
    assert "usual afternoon rise +" in text or "usual afternoon fall" in text
    records = forecast.to_records()
    assert len(records) == len(forecast)
    assert records[0]["timestamp"] == forecast.timestamps[0].isoformat()
    assert isinstance(records[0]["p50"], float)
    assert set(records[0]["contributions"]) == set(forecast.contributions)


def test_forecast_uses_only_rows_up_to_now(
    room_forecaster: tuple[pd.DataFrame, SensorForecaster],
) -> None:
    frame, forecaster = room_forecaster
    now = frame.index[-100]
    spoiled = frame.copy()
    spoiled.loc[spoiled.index > now, "target"] = 1000.0
    clean = forecaster.forecast(frame, now)
    assert np.allclose(forecaster.forecast(spoiled, now).p50, clean.p50)
    assert clean.p50.max() < 30


def test_hourly_battery_drains_and_the_drift_is_learnt() -> None:
    frame = battery(30, seed=1)
    forecaster = fit_sensor_forecaster(frame, WatchSettings(time_zone=ZONE, horizon_hours=48))
    assert forecaster.step == pd.Timedelta(hours=1)
    assert forecaster.backtest.model_mae < forecaster.backtest.baseline_mae[PERSISTENCE]
    # Issue at a moment of mid charge: the median keeps falling over the next 12 hours.
    middle = frame.index[(frame["target"] > 60) & (frame["target"] < 70)][-1]
    forecast = forecaster.forecast(frame, middle)
    assert len(forecast) == 48
    assert forecast.p50[11] < forecast.current_value - 5  # type: ignore[operator]


def test_soil_moisture_is_forecast_at_fifteen_minutes() -> None:
    frame = soil(20, seed=2)
    forecaster = fit_sensor_forecaster(frame, WatchSettings(time_zone=ZONE, horizon_hours=12))
    assert forecaster.step == pd.Timedelta(minutes=15)
    assert not forecaster.serves_baseline
    forecast = forecaster.forecast(frame, frame.index[-1])
    assert len(forecast) == 48


def test_irregular_humidity_with_gaps_still_trains_and_forecasts() -> None:
    frame = humidity(10, seed=4)
    # A six-hour outage and sprinkled NaN readings.
    outage = (frame.index > frame.index[2000]) & (
        frame.index < frame.index[2000] + pd.Timedelta(hours=6)
    )
    frame = frame[~outage].copy()
    frame.iloc[::17, 0] = np.nan
    forecaster = fit_sensor_forecaster(frame, WatchSettings(time_zone=ZONE, horizon_hours=6))
    forecast = forecaster.forecast(frame, frame.index[-1])
    assert np.isfinite(forecast.p50).all()
    assert np.isfinite(forecast.p10).all()
    assert forecaster.backtest.model_mae < forecaster.backtest.baseline_mae[PERSISTENCE]


def test_a_stale_sensor_is_forecast_from_its_last_value_with_wider_bounds(
    room_forecaster: tuple[pd.DataFrame, SensorForecaster],
) -> None:
    frame, forecaster = room_forecaster
    last = frame.index[-1]
    fresh = forecaster.forecast(frame, last)
    stale = forecaster.forecast(frame, last + pd.Timedelta(hours=4))
    assert stale.stale_hours == pytest.approx(4.0)
    assert stale.timestamps[0] > last + pd.Timedelta(hours=4)
    assert stale.current_value == fresh.current_value
    assert (stale.p90[0] - stale.p10[0]) > (fresh.p90[0] - fresh.p10[0])
    assert "last reading 4.0 h ago" in stale.explain(0)


def test_no_recent_data_is_a_value_error(
    room_forecaster: tuple[pd.DataFrame, SensorForecaster],
) -> None:
    frame, forecaster = room_forecaster
    with pytest.raises(NoRecentDataError) as caught:
        forecaster.forecast(frame, frame.index[-1] + pd.Timedelta(hours=7))
    assert isinstance(caught.value, ValueError)
    assert caught.value.stale_hours == pytest.approx(7.0)
    with pytest.raises(NoRecentDataError, match="no usable value"):
        forecaster.forecast(frame, frame.index[0] - pd.Timedelta(hours=1))
    with pytest.raises(ValueError, match="time-zone aware"):
        forecaster.forecast(frame, pd.Timestamp("2026-01-20"))


def test_not_enough_history_is_refused() -> None:
    frame = room(2, seed=1).iloc[:-20]
    with pytest.raises(NotEnoughHistoryError) as caught:
        fit_sensor_forecaster(frame, WatchSettings(time_zone=ZONE))
    assert caught.value.hours_needed == MIN_HISTORY_HOURS
    assert caught.value.hours_available == 46
    # Excluded rows do not count either.
    longer = room(3, seed=1)
    longer["excluded"] = longer.index < longer.index[0] + pd.Timedelta(hours=25)
    with pytest.raises(NotEnoughHistoryError):
        fit_sensor_forecaster(longer, WatchSettings(time_zone=ZONE))


def test_two_days_are_enough_and_a_fixed_step_is_honoured() -> None:
    frame = room(2, seed=5)
    forecaster = fit_sensor_forecaster(frame, WatchSettings(time_zone=ZONE, step_minutes=15))
    assert forecaster.step == pd.Timedelta(minutes=15)
    forecast = forecaster.forecast(frame, frame.index[-1])
    assert len(forecast) == 96
    assert np.isfinite(forecast.p50).all()


def test_exogenous_feature_gets_its_own_contribution() -> None:
    rng = np.random.default_rng(7)
    index = pd.date_range("2026-01-01", periods=24 * 40, freq="h", tz="UTC")
    heating = np.repeat(rng.uniform(0, 1, 40 * 4), 6)[: len(index)]
    temperature = 18 + np.convolve(3 * heating, np.ones(4) / 4)[: len(index)]
    frame = pd.DataFrame(
        {"target": temperature + rng.normal(0, 0.05, len(index)), "heating": heating},
        index=index,
    )
    forecaster = fit_sensor_forecaster(
        frame, WatchSettings(time_zone="UTC", horizon_hours=6, feature_columns=("heating",))
    )
    forecast = forecaster.forecast(frame, index[-1])
    assert "exogenous:heating" in forecast.contributions
    assert np.abs(forecast.contributions["exogenous:heating"]).max() > 0.1
    assert forecaster.backtest.skill > 0.2


def test_a_constant_sensor_serves_persistence_and_says_so() -> None:
    index = pd.date_range("2026-01-01", periods=24 * 12 * 4, freq="5min", tz="UTC")
    frame = pd.DataFrame({"target": np.full(len(index), 7.0)}, index=index)
    forecaster = fit_sensor_forecaster(frame, WatchSettings(time_zone="UTC", horizon_hours=2))
    assert forecaster.serves_baseline
    assert forecaster.baseline_name == PERSISTENCE
    forecast = forecaster.forecast(frame, index[-1])
    np.testing.assert_allclose(forecast.p50, 7.0)
    assert forecast.contributions == {}
    assert forecast.served_baseline == PERSISTENCE
    assert "same as the last value" in forecast.explain(0, unit="bar")
    assert "7.0 bar" in forecast.explain(0, unit="bar")


def test_served_baselines_are_explained_by_their_group(
    room_forecaster: tuple[pd.DataFrame, SensorForecaster],
) -> None:
    frame, forecaster = room_forecaster
    for name, group in ((SAME_TIME_YESTERDAY, "daily_pattern"), (LINEAR_DRIFT, "recent_trend")):
        served = SensorForecaster.from_dict(
            {**forecaster.to_dict(), "serves_baseline": True, "baseline_name": name}
        )
        forecast = served.forecast(frame, frame.index[-1])
        assert set(forecast.contributions) == {group}
        total = forecast.baseline + forecast.contributions[group]
        np.testing.assert_allclose(total, forecast.p50)


def test_same_time_yesterday_reads_the_level_a_day_back() -> None:
    frame = room(3, seed=2, freq="1h")
    grid = build_grid(frame, pd.Timedelta(hours=1), ())
    profile = fit_profile(grid, ZONE)
    context = build_context(grid, (), profile, ZONE, 30)
    origins = np.array([30, 50])
    changes = baseline_changes(SAME_TIME_YESTERDAY, context, origins, 3, grid.step)
    expected = grid.target[origins + 3 - 24] - grid.target[origins]
    np.testing.assert_allclose(changes, expected)
    # 26 h ahead reaches two days back; before the grid there is nothing (no change).
    far = baseline_changes(SAME_TIME_YESTERDAY, context, np.array([10, 60]), 26, grid.step)
    assert far[0] == 0.0
    assert far[1] == pytest.approx(grid.target[60 + 26 - 48] - grid.target[60])
    with pytest.raises(ValueError, match="unknown baseline"):
        baseline_changes("tomorrow", context, origins, 1, grid.step)


def test_ridge_and_buckets_edge_cases() -> None:
    intercept, coefficients = fit_ridge(np.ones((5, 2)), np.arange(5.0))
    assert intercept == 0.0
    assert (coefficients == 0).all()
    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 2))
    features[:, 1] = 3.0  # constant column
    intercept, coefficients = fit_ridge(features, 2 * features[:, 0] + 1)
    assert coefficients[0] == pytest.approx(2.0, rel=0.05)
    assert coefficients[1] == 0.0
    assert intercept == pytest.approx(1.0, abs=0.05)
    np.testing.assert_array_equal(lead_buckets(1), [1])
    buckets = lead_buckets(648)
    assert buckets[0] == 1
    assert buckets[-1] == 648
    assert (np.diff(buckets) > 0).all()


def test_intervals_without_residuals_fall_back_and_widen_with_the_lead() -> None:
    leads = np.array([1, 4, 16])
    empty = [np.empty(0)] * 3
    intervals = calibrate_leads(leads, empty, empty, fallback_scale=0.5)
    assert intervals.upper[0, 0] == pytest.approx(1.2816 * 0.5)
    assert intervals.upper[2, 0] == pytest.approx(1.2816 * 0.5 * 4)
    some = [np.linspace(-1, 1, 50), np.empty(0), np.empty(0)]
    motion = [np.zeros(50), np.empty(0), np.empty(0)]
    borrowed = calibrate_leads(leads, some, motion, fallback_scale=9.0)
    assert borrowed.upper[1, 0] == pytest.approx(borrowed.upper[0, 0] * 2)
    p10, p90 = borrowed.bounds(np.zeros(2), np.array([1, 16]), float("nan"))
    assert (p10 < 0).all()
    assert (p90 > 0).all()
    assert p90[1] > p90[0]


def test_pairs_need_room_for_the_lead() -> None:
    from custom_components.foresight.ml.watch.training import pair_origins  # noqa: PLC0415

    target = np.arange(10.0)
    assert pair_origins(target, 12, 0, 10).size == 0
    np.testing.assert_array_equal(pair_origins(target, 2, 0, 10), np.arange(8))
    assert pair_origins(target, 1, 0, 10, most=3).tolist() == [0, 4, 8]


def test_daylight_saving_change_keeps_the_daily_pattern_on_local_time() -> None:
    # 29 March 2026: Europe/Berlin moves from UTC+1 to UTC+2 at 02:00 local.
    frame = room(16, seed=8, start="2026-03-15")
    forecaster = fit_sensor_forecaster(frame, WatchSettings(time_zone=ZONE, horizon_hours=24))
    now = frame.index[-1]
    forecast = forecaster.forecast(frame, now)
    local = forecast.timestamps.tz_convert(ZONE)
    assert frame.index[0].tz_convert(ZONE).utcoffset() == pd.Timedelta(hours=1)
    assert local[0].utcoffset() == pd.Timedelta(hours=2)
    afternoon = forecast.p50[(local.hour == 15) & (local.minute == 0)][0]
    night = forecast.p50[(local.hour == 3) & (local.minute == 0)][0]
    assert afternoon > night + 1.5


def test_missing_exogenous_columns_and_duplicate_timestamps_are_tolerated() -> None:
    frame = room(5, seed=6, freq="15min")
    frame["outside"] = np.cos(np.arange(len(frame)) / 30.0)
    forecaster = fit_sensor_forecaster(
        frame, WatchSettings(time_zone=ZONE, horizon_hours=4, feature_columns=("outside",))
    )
    without = frame.drop(columns=["outside"])
    doubled = pd.concat([without, without.iloc[-10:] + 0.0]).sort_index()
    forecast = forecaster.forecast(doubled, frame.index[-1])
    assert np.isfinite(forecast.p50).all()
    np.testing.assert_allclose(forecast.contributions["exogenous:outside"], 0.0)
    assert forecast.current_value == pytest.approx(frame["target"].iloc[-1])


def test_serving_sees_the_same_features_as_training(
    room_forecaster: tuple[pd.DataFrame, SensorForecaster],
) -> None:
    """No train/serve skew: a forecast from recent rows equals the model on the full grid."""
    frame, forecaster = room_forecaster
    grid = build_grid(frame, forecaster.step, ())
    context = build_context(grid, (), forecaster.profile, ZONE, 400)
    origin = len(grid) - 1
    forecast = forecaster.forecast(frame.iloc[-3000:], frame.index[-1])
    leads = np.arange(1, len(forecast) + 1)
    intercepts, coefficients = forecaster.model.at(leads)
    origins = np.full(len(leads), origin)
    features = lead_features(context, origins, leads, grid.steps_per_hour)
    expected = context.level[origin] + intercepts + np.sum(features * coefficients, axis=1)
    np.testing.assert_allclose(forecast.p50, expected, atol=1e-9)
