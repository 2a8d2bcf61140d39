"""Cleaning raw recorder values into hourly series."""

import math

from hypothesis import given, settings, strategies as st
import numpy as np
import pytest

from custom_components.foresight.ml.cleaning import (
    HOUR,
    Flag,
    flag_implausible,
    hourly_meter_increments,
    mask_periods,
    parse_numeric,
    time_weighted_hourly_mean,
)

STATE_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["unknown", "unavailable", "", "nan", "-inf", "1e400", "0x10", "12.5"]),
    st.none(),
)


@given(st.lists(STATE_TEXT, max_size=50))
def test_parse_numeric_never_raises_and_keeps_only_finite_numbers(states: list[object]) -> None:
    parsed = parse_numeric(states)  # type: ignore[arg-type]
    assert parsed.shape == (len(states),)
    assert not np.isinf(parsed).any()


def test_parse_numeric_examples() -> None:
    parsed = parse_numeric(["1.5", "unknown", "unavailable", None, "inf", "on", 3])
    assert parsed[0] == 1.5
    assert parsed[6] == 3.0
    assert np.isnan(parsed[1:6]).all()


def test_time_weighted_mean_weights_by_duration() -> None:
    # 1 for the first 15 minutes, 5 for the remaining 45: mean 4, not the event mean 3.
    times = np.array([0.0, 900.0])
    means, known = time_weighted_hourly_mean(times, np.array([1.0, 5.0]), 0.0, 2)
    assert means[0] == pytest.approx(4.0)
    assert means[1] == pytest.approx(5.0)  # the last value holds until the window ends
    assert known.tolist() == [1.0, 1.0]


def test_time_weighted_mean_leaves_unknown_hours_as_gaps() -> None:
    times = np.array([HOUR, 2.25 * HOUR, 4 * HOUR])
    values = np.array([2.0, np.nan, 3.0])
    means, known = time_weighted_hourly_mean(times, values, 0.0, 5)
    assert np.isnan(means[0])  # before the first state
    assert means[1] == pytest.approx(2.0)
    # 15 minutes of 2, then unavailable: a quarter of the hour is too little to trust.
    assert known[2] == pytest.approx(0.25)
    assert np.isnan(means[2])
    assert np.isnan(means[3])
    assert means[4] == pytest.approx(3.0)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(min_value=-2 * HOUR, max_value=30 * HOUR),
            st.one_of(st.floats(min_value=-1e6, max_value=1e6), st.just(math.nan)),
        ),
        max_size=40,
    ),
    st.integers(min_value=1, max_value=24),
)
def test_time_weighted_mean_never_invents_values(
    points: list[tuple[float, float]], hours: int
) -> None:
    times = np.array([t for t, _ in points], dtype=np.float64)
    values = np.array([v for _, v in points], dtype=np.float64)
    means, known = time_weighted_hourly_mean(times, values, 0.0, hours)
    assert means.shape == known.shape == (hours,)
    # Every mean lies within the range of the values it was made from.
    finite = values[~np.isnan(values)]
    if finite.size:
        assert np.all(np.isnan(means) | (means >= finite.min() - 1e-6 * (1 + abs(finite.min()))))
        assert np.all(np.isnan(means) | (means <= finite.max() + 1e-6 * (1 + abs(finite.max()))))
    else:
        assert np.isnan(means).all()
    # Hours with less than half of their time known are gaps.
    assert np.isnan(means[known < 0.5]).all()


def _clean_meter(readings_per_hour: int, hours: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    count = readings_per_hour * hours + 1
    times = np.linspace(0.0, hours * HOUR, count)
    readings = 1000.0 + np.concatenate(([0.0], np.cumsum(rng.uniform(0, 0.3, count - 1))))
    return times, readings


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 12), st.integers(1, 72), st.integers(0, 2**32 - 1))
def test_meter_increments_preserve_total_energy_of_clean_meters(
    per_hour: int, hours: int, seed: int
) -> None:
    times, readings = _clean_meter(per_hour, hours, seed)
    series = hourly_meter_increments(times, readings, 0.0, hours)
    assert not np.isnan(series.values).any()
    assert series.values.sum() == pytest.approx(readings[-1] - readings[0])
    assert (series.values >= 0).all()
    assert not series.excluded.any()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(min_value=-HOUR, max_value=10 * HOUR),
            st.one_of(st.floats(min_value=0, max_value=1e6), st.just(math.nan)),
        ),
        max_size=30,
    ),
)
def test_meter_increments_never_raise_nor_go_negative(points: list[tuple[float, float]]) -> None:
    times = np.array([t for t, _ in points], dtype=np.float64)
    readings = np.array([r for _, r in points], dtype=np.float64)
    series = hourly_meter_increments(times, readings, 0.0, 8)
    assert series.values.shape == (8,)
    known = series.values[~np.isnan(series.values)]
    assert (known >= -1e-9).all()


def test_meter_reset_is_flagged_not_learned() -> None:
    times, readings = _clean_meter(4, 6, seed=1)
    # The meter restarts from zero during hour 2.
    readings[10:] -= readings[10] - 0.05
    series = hourly_meter_increments(times, readings, 0.0, 6)
    assert series.flags[Flag.METER_RESET].tolist() == [False, False, True, False, False, False]
    assert np.isnan(series.values[2])
    assert not np.isnan(np.delete(series.values, 2)).any()


def test_decrease_of_a_total_is_negative_use() -> None:
    times = np.array([0.0, HOUR, 2 * HOUR])
    readings = np.array([10.0, 12.0, 11.0])
    series = hourly_meter_increments(times, readings, 0.0, 2, decrease_is_reset=False)
    assert series.values.tolist() == [2.0, -1.0]
    assert not series.excluded.any()


def test_unknown_stretch_of_a_meter_is_a_gap_not_zero() -> None:
    times, readings = _clean_meter(4, 8, seed=2)
    readings[12:20] = np.nan  # unavailable from 03:00 to 05:00
    series = hourly_meter_increments(times, readings, 0.0, 8)
    assert np.isnan(series.values[2:5]).all()
    assert not np.isnan(series.values[[0, 1, 5, 6, 7]]).any()


def test_empty_history_is_all_gaps() -> None:
    empty = np.array([], dtype=np.float64)
    assert np.isnan(hourly_meter_increments(empty, empty, 0.0, 3).values).all()
    means, known = time_weighted_hourly_mean(empty, empty, 0.0, 3)
    assert np.isnan(means).all()
    assert not known.any()


def test_energy_spikes_and_negative_hours_are_flagged() -> None:
    values = np.array([0.5, 0.4, 0.6, 80.0, -0.2, np.nan, 7.0])
    flags = flag_implausible(values, cumulative_source=True)
    assert flags[Flag.SPIKE].tolist() == [False, False, False, True, False, False, False]
    assert flags[Flag.NEGATIVE].tolist() == [False, False, False, False, True, False, False]


def test_measurement_outliers_are_flagged() -> None:
    values = np.array([20.0, 21.0, 19.5, 20.5, 21.5, 19.0, 2000.0])
    flags = flag_implausible(values, cumulative_source=False)
    assert flags[Flag.SPIKE].tolist() == [False] * 6 + [True]
    constant = flag_implausible(np.full(4, 20.0), cumulative_source=False)
    assert not constant[Flag.SPIKE].any()


def test_mask_periods_marks_overlapping_hours() -> None:
    starts = np.arange(6) * HOUR
    mask = mask_periods(starts, [(1.5 * HOUR, 3 * HOUR), (5 * HOUR, 9 * HOUR)])
    assert mask.tolist() == [False, True, True, False, False, True]
