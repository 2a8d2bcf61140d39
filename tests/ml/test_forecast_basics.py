"""Settings, grid, calendar, features, baselines and intervals of the forecast engine."""

from __future__ import annotations

import datetime as dt
import importlib
import sys
import types

from hypothesis import given, settings as hypothesis_settings, strategies as st
import numpy as np
import pandas as pd
import pytest

from custom_components.foresight.ml.forecast import ForecastSettings
from custom_components.foresight.ml.forecast.backtest import backtest_days, day_starts
from custom_components.foresight.ml.forecast.baselines import (
    SAME_HOUR_LAST_WEEK,
    SAME_HOUR_MEAN_7D,
    SAME_HOUR_YESTERDAY,
    baseline_forecasts,
)
from custom_components.foresight.ml.forecast.features import (
    AWAY_RATIO_HIGH,
    AWAY_RATIO_LOW,
    DAILY_PATTERN,
    HOLIDAY,
    RECENT_LEVEL,
    SEASON,
    build_features,
    fill_values,
    make_layout,
)
from custom_components.foresight.ml.forecast.grid import build_grid, to_utc_hour
from custom_components.foresight.ml.forecast.intervals import calibrate
from custom_components.foresight.ml.forecast.local_calendar import calendar_columns, holiday_dates


def hourly(values: list[float] | np.ndarray, start: str = "2025-03-03 00:00") -> pd.DataFrame:
    index = pd.date_range(pd.Timestamp(start, tz="UTC"), periods=len(values), freq="h")
    return pd.DataFrame({"target": np.asarray(values, dtype=float)}, index=index)


# --- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"horizon_hours": 0}, "horizon_hours"),
        ({"horizon_hours": 169}, "horizon_hours"),
        ({"engine": "torch"}, "unknown engine"),
        ({"backtest_days": 10}, "backtest_days"),
        ({"coverage": 1.0}, "coverage"),
        ({"feature_columns": ("target",)}, "feature_columns"),
    ],
)
def test_settings_reject_invalid_values(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ForecastSettings(time_zone="UTC", **kwargs)  # type: ignore[arg-type]


def test_settings_reject_unknown_time_zone() -> None:
    with pytest.raises(Exception, match="Nowhere"):
        ForecastSettings(time_zone="Mars/Nowhere")


def test_settings_defaults() -> None:
    settings = ForecastSettings(time_zone="Europe/Berlin")
    assert (settings.country, settings.engine, settings.horizon_hours) == (None, "auto", 48)
    assert settings.feature_columns == ()


# --- grid -----------------------------------------------------------------------------------


def test_grid_turns_missing_rows_and_nan_rows_into_nan_positions() -> None:
    frame = hourly([1.0, np.nan, 3.0, 4.0, 5.0]).drop(
        index=pd.Timestamp("2025-03-03 03:00", tz="UTC")
    )
    grid = build_grid(frame, ())
    assert len(grid) == 5
    np.testing.assert_array_equal(np.isnan(grid.target), [False, True, False, True, False])
    assert grid.position(pd.Timestamp("2025-03-03 04:00", tz="UTC")) == 4


def test_grid_averages_duplicates_drops_excluded_and_keeps_missing_features() -> None:
    index = pd.DatetimeIndex(
        ["2025-03-03 00:10", "2025-03-03 00:40", "2025-03-03 01:00", "2025-03-03 02:00"], tz="UTC"
    )
    frame = pd.DataFrame(
        {
            "target": [1.0, 3.0, 5.0, 7.0],
            "temp": [10.0, 20.0, np.nan, 1.0],
            "excluded": [False, False, True, None],
        },
        index=index,
    )
    grid = build_grid(frame, ("temp", "absent"))
    np.testing.assert_array_equal(grid.target, [2.0, np.nan, 7.0])
    np.testing.assert_array_equal(grid.features["temp"], [15.0, np.nan, 1.0])
    assert np.isnan(grid.features["absent"]).all()


def test_grid_converts_other_time_zones_and_cuts_at_end() -> None:
    frame = hourly([1.0, 2.0, 3.0])
    frame.index = frame.index.tz_convert("Asia/Kolkata")
    grid = build_grid(frame, (), end=pd.Timestamp("2025-03-03 02:00", tz="UTC"))
    assert str(grid.index.tz) == "UTC"
    np.testing.assert_array_equal(grid.target, [1.0, 2.0])
    assert len(build_grid(frame, ("x",), end=pd.Timestamp("2025-03-02", tz="UTC"))) == 0


def test_grid_rejects_naive_index_and_missing_target() -> None:
    frame = hourly([1.0])
    with pytest.raises(ValueError, match="tz-aware"):
        build_grid(frame.tz_localize(None), ())
    with pytest.raises(ValueError, match="target"):
        build_grid(frame.rename(columns={"target": "value"}), ())
    with pytest.raises(ValueError, match="aware"):
        to_utc_hour(pd.Timestamp("2025-01-01"))


# --- calendar -------------------------------------------------------------------------------


def test_calendar_is_local_time_across_daylight_saving() -> None:
    index = pd.date_range(pd.Timestamp("2025-03-30 00:00", tz="UTC"), periods=3, freq="h")
    columns = calendar_columns(index, "Europe/Berlin")
    np.testing.assert_array_equal(columns.hour, [1, 3, 4])  # 02:00 local does not exist
    np.testing.assert_array_equal(columns.weekday, [6, 6, 6])
    assert not columns.holiday.any()


def test_holidays_come_from_the_optional_package(monkeypatch: pytest.MonkeyPatch) -> None:
    christmas = dt.date(2025, 12, 25)

    def country_holidays(country: str, subdiv: str | None, years: list[int]) -> dict[dt.date, str]:
        if country != "DE":
            raise NotImplementedError(country)
        return {christmas: "Weihnachten"} if 2025 in years else {}

    monkeypatch.setitem(
        sys.modules, "holidays", types.SimpleNamespace(country_holidays=country_holidays)
    )
    holiday_dates.cache_clear()
    try:
        index = pd.date_range(pd.Timestamp("2025-12-24 22:00", tz="UTC"), periods=4, freq="h")
        columns = calendar_columns(index, "Europe/Berlin", "DE")
        np.testing.assert_array_equal(columns.holiday, [False, True, True, True])
        assert holiday_dates("XX", None, (2025,)) == frozenset()
    finally:
        holiday_dates.cache_clear()


def test_holidays_absent_package_means_no_holidays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "holidays", None)
    holiday_dates.cache_clear()
    try:
        assert holiday_dates("DE", None, (2025,)) == frozenset()
        assert holiday_dates(None, None, (2025,)) == frozenset()
        index = pd.date_range(pd.Timestamp("2025-12-25", tz="UTC"), periods=3, freq="h")
        assert not calendar_columns(index, "Europe/Berlin", "DE").holiday.any()
    finally:
        holiday_dates.cache_clear()
    assert importlib.util.find_spec("json") is not None


# --- features and baselines -----------------------------------------------------------------


def test_layout_groups_follow_the_settings() -> None:
    layout = make_layout(("temp",), with_holidays=True, with_season=True)
    assert layout.group_names == (DAILY_PATTERN, HOLIDAY, SEASON, RECENT_LEVEL, "temp")
    indices = layout.group_indices()
    assert indices["temp"] == (len(layout.names) - 2, len(layout.names) - 1)
    bare = make_layout((), with_holidays=False, with_season=False)
    assert bare.group_names == (DAILY_PATTERN, RECENT_LEVEL)


def test_level_features_and_baselines_use_only_hours_before_issue() -> None:
    values = np.arange(24 * 10, dtype=float)
    grid = build_grid(hourly(values), ())
    layout = make_layout((), with_holidays=False, with_season=False)
    positions = np.array([24 * 9 + 5, 24 * 9 + 5], dtype=np.int64)
    shifts = np.array([24, 48], dtype=np.int64)
    matrix = build_features(
        grid, positions, shifts, layout, fill_values(grid, 24 * 9), time_zone="UTC", country=None
    )
    baselines = baseline_forecasts(matrix, layout.names)
    np.testing.assert_array_equal(baselines[SAME_HOUR_YESTERDAY], [24 * 8 + 5, 24 * 7 + 5])
    np.testing.assert_array_equal(baselines[SAME_HOUR_LAST_WEEK], [24 * 2 + 5, 24 * 2 + 5])
    expected = [
        np.mean([24 * day + 5 for day in range(2, 9)]),
        np.mean([24 * day + 5 for day in range(1, 8)]),
    ]
    np.testing.assert_allclose(baselines[SAME_HOUR_MEAN_7D], expected)
    level_3d = matrix[:, layout.names.index("level_3d")]
    np.testing.assert_allclose(
        level_3d,
        [
            np.mean(values[24 * 8 + 5 - 71 : 24 * 8 + 6]),
            np.mean(values[24 * 7 + 5 - 71 : 24 * 7 + 6]),
        ],
    )


def test_features_fall_back_through_gaps_without_nan() -> None:
    values = np.full(24 * 9, np.nan)
    values[24 * 3 + 5] = 7.0  # only one known hour, same hour of day as the target
    grid = build_grid(hourly(np.r_[values, 1.0]), ("temp",))
    layout = make_layout(("temp",), with_holidays=False, with_season=True)
    fills = fill_values(grid, len(grid))
    positions = np.array([24 * 8 + 5, 5], dtype=np.int64)
    matrix = build_features(
        grid, positions, np.array([24, 24]), layout, fills, time_zone="UTC", country=None
    )
    assert np.isfinite(matrix).all()
    names = layout.names
    # Yesterday and last week unknown -> the same-hour mean over 7 days (the one known value).
    assert matrix[0, names.index("lag_day")] == 7.0
    assert matrix[0, names.index("lag_week")] == 7.0
    # Nothing known before the start -> the fill value (median of the known target).
    assert matrix[1, names.index("level_7d")] == fills.target
    assert matrix[0, names.index("temp:now")] == 0.0  # sensor never seen -> 0.0


@hypothesis_settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=24, max_size=24), st.integers(0, 47))
def test_no_feature_depends_on_hours_at_or_after_issue(future: list[float], lead: int) -> None:
    rng = np.random.default_rng(1)
    history = rng.random(24 * 10)
    issue = 24 * 8  # grid position of the issue time
    changed = history.copy()
    changed[issue : issue + 24] = future
    layout = make_layout((), with_holidays=False, with_season=False)
    position = np.array([issue + lead], dtype=np.int64)
    shift = np.array([24 * (lead // 24 + 1)], dtype=np.int64)
    rows = []
    for values in (history, changed):
        grid = build_grid(hourly(values), ())
        fills = fill_values(grid, issue)
        rows.append(
            build_features(grid, position, shift, layout, fills, time_zone="UTC", country=None)
        )
    np.testing.assert_array_equal(rows[0], rows[1])


def test_backtest_days_and_day_starts() -> None:
    assert backtest_days(14, 28) == 7
    assert backtest_days(40, 28) == 14
    assert backtest_days(400, 28) == 28
    grid = build_grid(hourly(np.ones(72), start="2025-03-29 00:00"), ())
    starts = day_starts(grid, "Europe/Berlin")
    # Local days start at 23:00 UTC (winter) and 22:00 UTC (summer time from 30 March).
    assert [grid.index[s].tz_convert("Europe/Berlin").hour for s in starts[1:]] == [0, 0, 0]
    assert list(np.diff(starts)) == [23, 23, 24]


# --- intervals ------------------------------------------------------------------------------


def test_calibrated_interval_covers_about_the_nominal_share() -> None:
    rng = np.random.default_rng(0)
    predicted = rng.uniform(1, 5, 4000)
    actual = predicted + rng.normal(0, 0.2, 4000) * predicted
    calibration = calibrate(predicted[:2000], actual[:2000], coverage=0.8, non_negative=False)
    low, high = calibration.bounds(predicted[2000:])
    inside = np.mean((actual[2000:] >= low) & (actual[2000:] <= high))
    assert 0.76 <= inside <= 0.84
    assert len(calibration.lower) == 5
    # Heteroscedastic errors: the interval is wider where the forecast is higher.
    assert calibration.upper[-1] - calibration.lower[-1] > 2 * (
        calibration.upper[0] - calibration.lower[0]
    )


def test_interval_is_monotone_and_clipped_for_non_negative_targets() -> None:
    predicted = np.array([0.1, 0.2, 0.3] * 30)
    actual = predicted + np.tile([-1.0, 0.0, 1.0], 30)
    calibration = calibrate(predicted, actual, coverage=0.8, non_negative=True)
    p50 = np.array([-0.5, 0.05, 2.0])
    low, high = calibration.bounds(p50)
    assert np.all(low <= p50)
    assert np.all(p50 <= high)
    assert low[1] == 0.0
    assert np.all(high >= 0.0)


def test_interval_without_residuals_has_zero_width() -> None:
    calibration = calibrate(np.array([1.0]), np.array([np.nan]), coverage=0.8, non_negative=False)
    low, high = calibration.bounds(np.array([3.0]))
    assert (low[0], high[0]) == (3.0, 3.0)


def test_interval_with_tied_forecasts_uses_all_residuals_for_empty_bins() -> None:
    predicted = np.r_[np.zeros(150), np.ones(10)]
    actual = predicted + np.linspace(-1, 1, 160)
    calibration = calibrate(predicted, actual, coverage=0.8, non_negative=False)
    low, high = calibration.bounds(np.array([0.0, 1.0]))
    assert np.all(low < np.array([0.0, 1.0]))
    assert np.all(high > np.array([0.0, 1.0]))


def test_robust_level_columns_and_last_day_mean() -> None:
    values = np.arange(24 * 10, dtype=float)
    values[24 * 8 + 5] = 1000.0  # a spike yesterday at the target hour
    grid = build_grid(hourly(values), ())
    layout = make_layout((), with_holidays=False, with_season=False)
    position = np.array([24 * 9 + 5], dtype=np.int64)
    matrix = build_features(
        grid,
        position,
        np.array([24]),
        layout,
        fill_values(grid, 24 * 9),
        time_zone="UTC",
        country=None,
    )
    names = layout.names
    same_hour = [values[24 * day + 5] for day in range(2, 9)]
    assert matrix[0, names.index("same_hour_median_7d")] == np.median(same_hour)
    assert matrix[0, names.index("same_hour_median_7d")] < 1000.0  # the spike does not move it
    # The hour after is taken a day earlier: at 23:00 it would be the issue hour itself.
    near = [values[24 * day + hour] for day in range(2, 9) for hour in (4, 5)]
    near += [values[24 * day + 6] for day in range(1, 8)]
    assert matrix[0, names.index("near_hour_median_7d")] == np.median(near)
    # Issued at 00:00 of the target day: the 24 hours before are yesterday's hours.
    assert matrix[0, names.index("last_day_mean")] == np.mean(values[24 * 8 : 24 * 9])
    weights = 0.7 ** np.arange(9)  # days 8 back to 0: all known days within 28
    ewm = matrix[0, names.index("same_hour_ewm_28d")]
    recent_first = [values[24 * day + 5] for day in range(8, -1, -1)]
    assert ewm == pytest.approx(np.dot(weights, recent_first) / weights.sum())
    # An explicit, later issue time moves only the last day's mean.
    later = build_features(
        grid,
        position,
        np.array([24]),
        layout,
        fill_values(grid, 24 * 9),
        time_zone="UTC",
        country=None,
        issues=np.array([24 * 9 + 3]),
    )
    assert later[0, names.index("last_day_mean")] == np.mean(values[24 * 8 + 3 : 24 * 9 + 3])
    issue_time_columns = (
        "last_day_mean",
        "away",
        "away_lag_day",
        "away_same_hour_mean_7d",
        "away_last_day_mean",
    )
    changed = [names.index(name) for name in issue_time_columns]
    np.testing.assert_array_equal(np.delete(later, changed), np.delete(matrix, changed))


def _features_at_day_29(values: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """Features of hour 05:00 on day 29 (issued at that day's midnight)."""
    grid = build_grid(hourly(values), ())
    layout = make_layout((), with_holidays=False, with_season=False)
    matrix = build_features(
        grid,
        np.array([24 * 29 + 5], dtype=np.int64),
        np.array([24]),
        layout,
        fill_values(grid, 24 * 29),
        time_zone="UTC",
        country=None,
    )
    return matrix[0], layout.names


def _away_row(last_day_level: float) -> tuple[np.ndarray, tuple[str, ...]]:
    """Features of 05:00 on day 29 after 28 days at 1.0 and a last day at a level."""
    return _features_at_day_29(np.r_[np.ones(24 * 28), np.full(24, last_day_level), np.ones(24)])


@pytest.mark.parametrize(
    ("last_day_level", "gate"),
    [(1.0, 0.0), (2.0, 0.0), (0.1, 1.0), (0.0, 1.0)],
)
def test_away_gate_follows_the_last_day_against_the_28_day_level(
    last_day_level: float, gate: float
) -> None:
    row, names = _away_row(last_day_level)
    assert row[names.index("away")] == pytest.approx(gate)
    assert row[names.index("away_lag_day")] == pytest.approx(gate * last_day_level)
    assert row[names.index("away_last_day_mean")] == pytest.approx(gate * last_day_level)
    same_hour_7d = row[names.index("same_hour_mean_7d")]
    assert row[names.index("away_same_hour_mean_7d")] == pytest.approx(gate * same_hour_7d)


def test_away_gate_is_linear_between_the_thresholds() -> None:
    # 28-day level ending yesterday: 27 days at 1.0 and the last day at 0.4 -> ratio about 0.4.
    row, names = _away_row(0.4)
    level_28d = row[names.index("level_28d")]
    ratio = 0.4 / level_28d
    expected = (AWAY_RATIO_HIGH - ratio) / (AWAY_RATIO_HIGH - AWAY_RATIO_LOW)
    assert 0.0 < expected < 1.0
    assert row[names.index("away")] == pytest.approx(expected)


def test_away_gate_is_off_without_a_positive_level() -> None:
    row, names = _away_row(0.0)
    assert row[names.index("away")] == 1.0
    silent, names = _features_at_day_29(np.r_[np.zeros(24 * 29), np.ones(24)])
    assert silent[names.index("away")] == 0.0


def test_season_group_holds_its_own_copy_of_the_hour() -> None:
    layout = make_layout((), with_holidays=False, with_season=True)
    assert layout.groups[1] == (SEASON, ("year_sin", "year_cos", "season_hour"))
    grid = build_grid(hourly(np.ones(24 * 10)), ())
    positions = np.arange(24 * 9, 24 * 10, dtype=np.int64)
    matrix = build_features(
        grid,
        positions,
        np.full(24, 24),
        layout,
        fill_values(grid, 24 * 9),
        time_zone="UTC",
        country=None,
    )
    names = layout.names
    np.testing.assert_array_equal(matrix[:, names.index("season_hour")], np.arange(24))
    np.testing.assert_array_equal(
        matrix[:, names.index("season_hour")], matrix[:, names.index("hour")]
    )
