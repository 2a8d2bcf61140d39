"""Base load on the project's other synthetic home, whose heating depends on occupancy.

``ml.synthetic.synthetic_home`` heats ``0.09 kWh/h x (16 - T) x (0.6 + 0.4 x occupancy)``, so
a degree-day costs less at night and at work than in the evening: heating that does not
follow the hour's degree-days uniformly. Its base load is 0.25 kWh per hour (250 W, with a
+-10 W random walk) and does not change. A single weather slope used to take too much off the
night hours and report base loads of -400 W to +160 W in February.
"""

from hypothesis import HealthCheck, given, settings, strategies as st
import numpy as np
import pandas as pd
import pytest

from bench.insight_home import insight_home
from custom_components.foresight.ml.insight import EnergyInsight, energy_insight
from custom_components.foresight.ml.synthetic import synthetic_home

TRUE_BASE_W = 250.0
END = pd.Timestamp("2026-03-02", tz="UTC")
NOW = pd.Timestamp("2026-03-02 00:30", tz="UTC")


def february(seed: int) -> EnergyInsight:
    """The window of the report: 35 days of February, analysed in US/Pacific."""
    frame = synthetic_home(36, start="2026-01-25", seed=seed, gap_fraction=0.0)
    frame = frame[frame.index < END]
    return energy_insight(frame, time_zone="US/Pacific", now=NOW, temperature_column="outdoor_temp")


@pytest.fixture(scope="module")
def februaries() -> list[EnergyInsight]:
    return [february(seed) for seed in range(10)]


def test_february_base_load_is_the_true_one(februaries: list[EnergyInsight]) -> None:
    now = [insight.base_load_w for insight in februaries]
    before = [insight.base_load_month_ago_w for insight in februaries]
    assert all(value is not None for value in now + before)
    bases = np.array(now + before, dtype=float)
    assert np.all(bases > 0)
    # Seven days of 10th percentiles of a noisy home: each week within 40 %, typically 10 %.
    assert np.median(bases) == pytest.approx(TRUE_BASE_W, rel=0.10)
    assert np.all(np.abs(bases - TRUE_BASE_W) < 0.40 * TRUE_BASE_W)
    for insight in februaries:
        assert insight.kwh_per_heating_degree_day is not None
        assert insight.base_load_weather_corrected
        assert "could not be told apart" not in insight.text


def test_february_base_load_does_not_change(februaries: list[EnergyInsight]) -> None:
    changes = np.array([insight.base_load_change_w for insight in februaries], dtype=float)
    # The same home without heating moves by up to 40 W from week to week (random walk,
    # weekends, appliance runs); a single slope gave changes of up to 181 W.
    assert np.all(np.abs(changes) < 75.0)
    assert float(np.mean(np.abs(changes))) < 40.0


@pytest.mark.parametrize("month", ["2025-04-01", "2025-11-01", "2026-01-01"])
def test_year_long_frame(month: str) -> None:
    """Spring, autumn and mid-winter windows of a year-long frame (with gaps)."""
    frame = synthetic_home(400, start="2025-01-06", seed=0)
    now = pd.Timestamp(month, tz="Europe/Berlin")
    insight = energy_insight(
        frame, time_zone="Europe/Berlin", now=now, temperature_column="outdoor_temp"
    )
    for value in (insight.base_load_w, insight.base_load_month_ago_w):
        assert value is not None
        assert value == pytest.approx(TRUE_BASE_W, rel=0.35)
    assert insight.base_load_change_w is not None
    assert abs(insight.base_load_change_w) < 80.0


def test_the_original_home_is_still_corrected() -> None:
    frame, truth = insight_home(seed=0)
    insight = energy_insight(
        frame, time_zone=truth.time_zone, now=truth.now, temperature_column="outdoor_temp"
    )
    assert insight.base_load_weather_corrected
    assert insight.base_load_w == pytest.approx(truth.base_w, rel=0.03)
    unheated, truth = insight_home(seed=0, heating_kwh_per_dd=0.0)
    plain = energy_insight(
        unheated, time_zone=truth.time_zone, now=truth.now, temperature_column="outdoor_temp"
    )
    assert not plain.base_load_weather_corrected  # no weather term, nothing taken off


def _lower_balance_point(days: int = 70, seed: int = 0) -> pd.DataFrame:
    """Heating from 12 degC, not 15.5: the 15.5 degC extrapolation overshoots below zero."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(END - pd.Timedelta(days=days), END, freq="h", inclusive="left")
    hour = index.hour.to_numpy()
    temperature = (
        np.repeat(rng.normal(3.0, 2.5, days), 24)
        - 3.0 * np.cos(2 * np.pi * (hour - 3) / 24)
        + rng.normal(0.0, 0.3, index.size)
    )
    target = 0.1 + 0.15 * np.maximum(12.0 - temperature, 0.0) + rng.normal(0, 0.005, index.size)
    return pd.DataFrame({"target": target, "outdoor_temp": temperature}, index=index)


def test_an_implausible_correction_falls_back_to_the_plain_base() -> None:
    insight = energy_insight(
        _lower_balance_point(), time_zone="UTC", now=END, temperature_column="outdoor_temp"
    )
    assert insight.kwh_per_heating_degree_day is not None
    assert not insight.base_load_weather_corrected
    assert insight.base_load_w is not None
    assert insight.base_load_w > 100.0  # the plain floor, heating included
    assert "could not be told apart from the base load" in insight.text
    assert insight.to_dict()["base_load_weather_corrected"] is False


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    base_kwh=st.floats(0.0, 0.5),
    slope=st.floats(0.0, 0.4),
    balance_c=st.floats(5.0, 22.0),
    schedule=st.lists(st.floats(0.0, 3.0), min_size=24, max_size=24),
    mean_c=st.floats(-10.0, 25.0),
    noise=st.floats(0.0, 0.3),
)
def test_base_load_is_never_negative(
    seed: int,
    base_kwh: float,
    slope: float,
    balance_c: float,
    schedule: list[float],
    mean_c: float,
    noise: float,
) -> None:
    """Any heating schedule, balance point and noise: the base load is never below zero."""
    rng = np.random.default_rng(seed)
    days = 60
    index = pd.date_range(END - pd.Timedelta(days=days), END, freq="h", inclusive="left")
    hour = index.hour.to_numpy()
    temperature = (
        mean_c
        + np.repeat(rng.normal(0.0, 3.0, days), 24)
        - 3.0 * np.cos(2 * np.pi * (hour - 3) / 24)
    )
    heating = slope * np.asarray(schedule)[hour] * np.maximum(balance_c - temperature, 0.0)
    target = np.maximum(base_kwh + heating + rng.normal(0.0, noise, index.size), 0.0)
    frame = pd.DataFrame({"target": target, "outdoor_temp": temperature}, index=index)
    insight = energy_insight(frame, time_zone="UTC", now=END, temperature_column="outdoor_temp")
    for value in (insight.base_load_w, insight.base_load_month_ago_w):
        assert value is None or value >= 0.0
