"""Energy insight against a synthetic home whose true values are known (tests/ml/insight_home)."""

import numpy as np
import pandas as pd
import pytest

from bench.insight_home import HomeTruth, cold_then_mild, insight_home
from custom_components.foresight.ml.insight import EnergyInsight, HourRange, energy_insight
from custom_components.foresight.ml.insight.text import base_load_text

SEEDS = (0, 1, 2)


def analyse(frame: pd.DataFrame, truth: HomeTruth, *, temperature: bool = True) -> EnergyInsight:
    return energy_insight(
        frame,
        time_zone=truth.time_zone,
        now=truth.now,
        temperature_column="outdoor_temp" if temperature else None,
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_base_load_of_an_unheated_home(seed: int) -> None:
    frame, truth = insight_home(seed=seed, heating_kwh_per_dd=0.0)
    insight = analyse(frame, truth)
    assert insight.base_load_w == pytest.approx(truth.base_w, rel=0.03)
    assert insight.base_load_month_ago_w == pytest.approx(truth.base_w, rel=0.03)
    assert insight.base_load_change_w is not None
    assert abs(insight.base_load_change_w) < 5.0
    assert insight.kwh_per_heating_degree_day is None  # no spurious heating slope
    assert "about the same as a month ago" in insight.text


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("step_w", [120.0, -80.0])
def test_base_load_step_is_found(seed: int, step_w: float) -> None:
    frame, truth = insight_home(seed=seed, step_w=step_w)
    insight = analyse(frame, truth)
    assert insight.base_load_change_w == pytest.approx(step_w, rel=0.10)
    assert insight.base_load_change_kwh_per_year == pytest.approx(step_w * 8.76, rel=0.10)
    direction = "higher" if step_w > 0 else "lower"
    assert f"W {direction} than a month ago" in insight.text
    # The step at the start of the last four weeks is also the weather-normalised trend.
    assert insight.weather_normalised
    assert insight.trend_kwh_per_day == pytest.approx(step_w * 24 / 1000, rel=0.15)


def test_annual_figure_is_spelt_out() -> None:
    assert base_load_text(270.0, 150.0, weather_known=True) == (
        "Base load (always-on consumption) is 270 W, 120 W higher than a month ago; "
        "that is about 1,050 kWh a year more."
    )
    lower = base_load_text(150.0, 155.0, weather_known=False)
    assert "about the same as a month ago" in lower
    # A change within three times its day-to-day noise is not called a change.
    noisy = base_load_text(264.0, 229.0, weather_known=True, noise_w=20.0)
    assert "about the same as a month ago (within day-to-day variation of ±60 W)" in noisy
    assert "35 W higher" in base_load_text(264.0, 229.0, weather_known=True, noise_w=10.0)
    caveat = base_load_text(100.0, 180.0, weather_known=False)
    assert "80 W lower" in caveat
    assert "about 700 kWh a year less" in caveat
    assert "heating or cooling at night counts as base load" in caveat
    frame, truth = insight_home(seed=0, step_w=120.0)
    insight = analyse(frame, truth)
    assert insight.base_load_change_kwh_per_year is not None
    annual = round(insight.base_load_change_kwh_per_year, -1)
    assert f"about {annual:,.0f} kWh a year more" in insight.text


def test_base_load_of_a_heated_home_with_the_weather_taken_off() -> None:
    """Night-time heating is not base load: it is taken off with the fitted slope."""
    frame, truth = insight_home(seed=1)
    insight = analyse(frame, truth)
    assert insight.base_load_w == pytest.approx(truth.base_w, rel=0.10)
    plain = analyse(frame, truth, temperature=False)
    assert plain.base_load_w is not None
    assert plain.base_load_w > 2 * truth.base_w  # heating at night counts without temperature


@pytest.mark.parametrize("seed", SEEDS)
def test_heating_degree_day_slope(seed: int) -> None:
    frame, truth = insight_home(seed=seed, heating_kwh_per_dd=2.0)
    insight = analyse(frame, truth)
    assert insight.kwh_per_heating_degree_day == pytest.approx(2.0, rel=0.10)
    assert insight.heating_base_c == 15.5
    slope = insight.kwh_per_heating_degree_day
    assert f"Heating adds {slope:.1f} kWh per degree-day below 15.5 °C." in insight.text


@pytest.mark.parametrize("seed", SEEDS)
def test_cooling_degree_day_slope(seed: int) -> None:
    frame, truth = insight_home(
        seed=seed,
        heating_kwh_per_dd=0.0,
        cooling_kwh_per_dd=1.5,
        daily_mean_c=lambda days: np.full(days.shape, 25.0),
    )
    insight = analyse(frame, truth)
    assert insight.kwh_per_cooling_degree_day == pytest.approx(1.5, rel=0.10)
    assert insight.kwh_per_heating_degree_day is None
    assert "Cooling adds" in insight.text


@pytest.mark.parametrize("seed", SEEDS)
def test_only_the_weather_changed(seed: int) -> None:
    """A cold month then a mild one, same behaviour: the raw drop is weather, not savings."""
    frame, truth = insight_home(seed=seed, daily_mean_c=cold_then_mild)
    insight = analyse(frame, truth)
    assert insight.weather_normalised
    assert insight.raw_trend_percent is not None
    assert insight.raw_trend_percent < -30.0
    assert insight.trend_percent is not None
    assert abs(insight.trend_percent) < 5.0
    assert insight.kwh_per_heating_degree_day == pytest.approx(2.0, rel=0.10)
    assert "At equal weather" in insight.text


def test_without_temperature_the_trend_is_plain() -> None:
    frame, truth = insight_home(seed=0, daily_mean_c=cold_then_mild)
    insight = analyse(frame, truth, temperature=False)
    assert not insight.weather_normalised
    assert insight.trend_percent == insight.raw_trend_percent
    assert insight.trend_percent is not None
    assert insight.trend_percent < -30.0
    assert insight.kwh_per_heating_degree_day is None
    assert insight.heating_base_c is None
    assert "not weather-normalised: no outdoor temperature given" in insight.text


def _realised_share(frame: pd.DataFrame, truth: HomeTruth, hours: HourRange) -> float:
    """Share of the last four weeks' energy in the stretch, straight from the frame."""
    local = frame.index.tz_convert(truth.time_zone)
    recent = local >= (truth.now - pd.Timedelta(days=28))
    days = {"weekdays": range(5), "weekends": range(5, 7), "every day": range(7)}[hours.days]
    inside = (
        recent
        & np.isin(local.dayofweek, list(days))
        & (local.hour >= hours.start_hour)
        & (local.hour < hours.end_hour)
    )
    return 100.0 * frame["target"][inside].sum() / frame["target"][recent].sum()


@pytest.mark.parametrize("seed", SEEDS)
def test_top_hours_are_the_designed_evening_peak(seed: int) -> None:
    frame, truth = insight_home(seed=seed, heating_kwh_per_dd=0.0)
    insight = analyse(frame, truth)
    assert insight.top_hours
    first = insight.top_hours[0]
    assert (first.days, first.start_hour, first.end_hour) == ("weekdays", 18, 21)
    assert first.share_percent == pytest.approx(_realised_share(frame, truth, first), abs=1.0)
    assert "Weekdays 18:00\u201321:00" in insight.text


def test_top_hours_of_a_heated_home_include_the_evening_and_the_heated_nights() -> None:
    frame, truth = insight_home(seed=0, daily_mean_c=lambda days: np.full(days.shape, 12.0))
    insight = analyse(frame, truth)
    evening = [h for h in insight.top_hours if h.days == "weekdays" and h.start_hour == 18]
    assert evening
    assert 21 <= evening[0].end_hour <= 23
    assert any(h.days == "every day" and h.start_hour <= 3 < h.end_hour for h in insight.top_hours)
    shares = [h.share_percent for h in insight.top_hours]
    assert shares == sorted(shares, reverse=True)


@pytest.mark.parametrize(
    ("zone", "end"),
    [
        ("America/New_York", "2026-03-20"),  # spring forward on 8 March
        ("Europe/Berlin", "2026-11-05"),  # fall back on 25 October
        ("Australia/Sydney", "2026-04-20"),  # fall back on 5 April
        ("America/Santiago", "2026-09-20"),  # midnight of 6 September is skipped
        ("Asia/Kolkata", "2026-03-02"),  # UTC+05:30: hours start at half past, local time
    ],
)
def test_awkward_time_zones(zone: str, end: str) -> None:
    frame, truth = insight_home(seed=0, heating_kwh_per_dd=0.0, time_zone=zone, end=end)
    insight = analyse(frame, truth)
    assert insight.days_of_data == 56
    assert insight.base_load_w == pytest.approx(truth.base_w, rel=0.03)
    first = insight.top_hours[0]
    assert (first.days, first.start_hour, first.end_hour) == ("weekdays", 18, 21)
    assert insight.trend_percent is not None
    assert abs(insight.trend_percent) < 5.0


def test_now_on_a_day_whose_midnight_is_skipped() -> None:
    frame, truth = insight_home(seed=0, time_zone="America/Santiago", end="2026-09-06")
    now = pd.Timestamp("2026-09-06 12:00", tz="America/Santiago")
    insight = energy_insight(frame, time_zone=truth.time_zone, now=now)
    assert insight.days_of_data == 56
    assert insight.base_load_w is not None
