"""Native resolution: the step chosen from the data, and the regular grid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custom_components.foresight.ml.watch import WatchSettings, choose_step
from custom_components.foresight.ml.watch.grid import (
    build_grid,
    carry_forward,
    check_frame,
    fill_limit,
)
from custom_components.foresight.ml.watch.settings import ThresholdSettings

from .watch_synthetic import humidity


def _frame(freq: str, periods: int = 500) -> pd.DataFrame:
    index = pd.date_range("2026-01-01", periods=periods, freq=freq, tz="UTC")
    return pd.DataFrame({"target": np.arange(periods, dtype=float)}, index=index)


@pytest.mark.parametrize(
    ("freq", "minutes"),
    [("30s", 5), ("1min", 5), ("5min", 5), ("10min", 10), ("12min", 15), ("20min", 30),
     ("h", 60), ("3h", 60)],
)  # fmt: skip
def test_step_follows_the_sample_spacing(freq: str, minutes: int) -> None:
    assert choose_step(_frame(freq)) == pd.Timedelta(minutes=minutes)


def test_step_follows_how_often_the_value_changes() -> None:
    frame = _frame("1min", 2000)
    frame["target"] = np.floor(np.arange(2000) / 25.0)  # reported every minute, changes every 25
    assert choose_step(frame) == pd.Timedelta(minutes=30)


def test_irregular_samples_choose_a_step_and_few_samples_fall_back_to_an_hour() -> None:
    assert choose_step(humidity(3)) == pd.Timedelta(minutes=5)
    assert choose_step(_frame("1min", 1)) == pd.Timedelta(hours=1)


def test_grid_averages_buckets_and_keeps_gaps_as_nan() -> None:
    index = pd.DatetimeIndex(
        ["2026-01-01 00:01", "2026-01-01 00:03", "2026-01-01 00:21", "2026-01-01 00:22"],
        tz="UTC",
    )
    frame = pd.DataFrame(
        {"target": [1.0, 3.0, 10.0, np.nan], "excluded": [False, False, False, True]},
        index=index,
    )
    grid = build_grid(frame, pd.Timedelta(minutes=5), ("outside",))
    assert list(grid.index.minute) == [0, 5, 10, 15, 20]
    np.testing.assert_array_equal(grid.target, [2.0, np.nan, np.nan, np.nan, 10.0])
    assert np.isnan(grid.features["outside"]).all()
    assert grid.steps_per_hour == 12
    assert len(grid) == 5


def test_grid_drops_excluded_rows_and_rows_after_the_end() -> None:
    frame = _frame("5min", 10)
    frame["excluded"] = [i == 2 for i in range(10)]
    grid = build_grid(frame, pd.Timedelta(minutes=5), (), end=frame.index[5])
    assert len(grid) == 6
    assert np.isnan(grid.target[2])
    empty = build_grid(frame.iloc[:0], pd.Timedelta(minutes=5), ("x",))
    assert len(empty) == 0
    assert empty.features["x"].size == 0


def test_local_time_zone_timestamps_land_on_the_utc_grid() -> None:
    frame = _frame("10min", 12)
    local = frame.tz_convert("America/New_York")
    grid = build_grid(local, pd.Timedelta(minutes=10), ())
    assert str(grid.index.tz) == "UTC"
    np.testing.assert_array_equal(grid.target, frame["target"].to_numpy())


def test_carry_forward_fills_short_gaps_only() -> None:
    values = np.array([1.0, np.nan, np.nan, np.nan, 5.0])
    np.testing.assert_array_equal(carry_forward(values, 2), [1.0, 1.0, 1.0, np.nan, 5.0])
    assert fill_limit(pd.Timedelta(minutes=5)) == 6
    assert fill_limit(pd.Timedelta(hours=1)) == 2


def test_frames_breaking_the_convention_are_refused() -> None:
    naive = pd.DataFrame({"target": [1.0]}, index=pd.DatetimeIndex(["2026-01-01"]))
    with pytest.raises(ValueError, match="tz-aware"):
        check_frame(naive)
    with pytest.raises(ValueError, match="target"):
        check_frame(_frame("h").rename(columns={"target": "value"}))


@pytest.mark.parametrize(
    "kwargs",
    [{"horizon_hours": 0}, {"horizon_hours": 49}, {"step_minutes": 7},
     {"feature_columns": ("target",)}, {"feature_columns": ("a", "a")}],
)  # fmt: skip
def test_watch_settings_reject_bad_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        WatchSettings(time_zone="UTC", **kwargs)  # type: ignore[arg-type]


def test_watch_settings_reject_non_integer_horizon_and_unknown_zone() -> None:
    with pytest.raises(TypeError):
        WatchSettings(time_zone="UTC", horizon_hours=2.5)  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        WatchSettings(time_zone="Mars/Olympus")


@pytest.mark.parametrize(
    "kwargs",
    [{"limit": float("nan")}, {"direction": "sideways"}, {"warning_hours": 0.0},
     {"warning_hours": 72.0}, {"warning_probability": 0.0}],
)  # fmt: skip
def test_threshold_settings_reject_bad_values(kwargs: dict[str, object]) -> None:
    values: dict[str, object] = {"limit": 1.0, "direction": "above", "warning_hours": 6.0}
    values.update(kwargs)
    with pytest.raises(ValueError):  # noqa: PT011
        ThresholdSettings(**values)  # type: ignore[arg-type]
