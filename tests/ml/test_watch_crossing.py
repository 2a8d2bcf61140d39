"""Threshold crossings: probability, ETA, countdown, explanations."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st
import numpy as np
import pandas as pd
import pytest

from custom_components.foresight.ml.watch import (
    SensorForecast,
    SensorForecaster,
    ThresholdSettings,
    WatchSettings,
    crossing,
    fit_sensor_forecaster,
)
from custom_components.foresight.ml.watch.crossing import exceedance

from .watch_synthetic import ZONE, battery, freezer, room, soil


def _single(p10: float, p50: float, p90: float, **kwargs: object) -> SensorForecast:
    issued = pd.Timestamp("2026-01-01 12:00", tz="UTC")
    values = {
        "issued_at": issued,
        "timestamps": pd.DatetimeIndex([issued + pd.Timedelta(hours=1)]),
        "p10": np.array([p10]),
        "p50": np.array([p50]),
        "p90": np.array([p90]),
        "contributions": {},
        "baseline": np.array([p50]),
        "current_value": p50,
    }
    values.update(kwargs)
    return SensorForecast(**values)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    p50=st.floats(-50, 50),
    low=st.floats(0.01, 10),
    high=st.floats(0.01, 10),
    offset=st.floats(-30, 30),
)
def test_split_normal_matches_the_quantiles_and_is_monotone(
    p50: float, low: float, high: float, offset: float
) -> None:
    forecast = _single(p50 - low, p50, p50 + high)

    def above(limit: float) -> float:
        return float(exceedance(forecast, ThresholdSettings(limit, "above", 2.0))[0])

    def below(limit: float) -> float:
        return float(exceedance(forecast, ThresholdSettings(limit, "below", 2.0))[0])

    assert above(p50 + high) == pytest.approx(0.1, abs=1e-6)
    assert above(p50 - low) == pytest.approx(0.9, abs=1e-6)
    assert above(p50) == pytest.approx(0.5, abs=1e-6)
    assert below(p50 - low) == pytest.approx(0.1, abs=1e-6)
    limit = p50 + offset
    assert above(limit) + below(limit) == pytest.approx(1.0, abs=1e-9)
    assert above(limit) >= above(limit + 0.5) - 1e-12


def test_zero_width_forecast_is_a_point_mass() -> None:
    forecast = _single(5.0, 5.0, 5.0)
    assert exceedance(forecast, ThresholdSettings(4.0, "above", 2.0))[0] == 1.0
    assert exceedance(forecast, ThresholdSettings(5.0, "above", 2.0))[0] == 0.0
    assert exceedance(forecast, ThresholdSettings(5.0, "below", 2.0))[0] == 0.0
    assert exceedance(forecast, ThresholdSettings(6.0, "below", 2.0))[0] == 1.0


def test_probability_is_the_largest_step_probability_in_the_window() -> None:
    issued = pd.Timestamp("2026-01-01", tz="UTC")
    stamps = pd.date_range(issued + pd.Timedelta(hours=1), periods=4, freq="h")
    p50 = np.array([1.0, 2.0, 3.0, 2.0])
    forecast = SensorForecast(
        issued_at=issued,
        timestamps=stamps,
        p10=p50 - 1,
        p50=p50,
        p90=p50 + 1,
        contributions={},
        baseline=np.zeros(4),
        current_value=0.0,
    )
    short = crossing(forecast, ThresholdSettings(2.0, "above", 2.0))
    assert short.probability == pytest.approx(0.5)
    long = crossing(forecast, ThresholdSettings(1.95, "above", 4.0))
    assert long.probability > 0.9
    # The median path passes 1.95 between 1 and 2 h, the P10 path between 2 and 3 h.
    assert long.eta_p10_hours is not None
    assert long.eta_p50_hours is not None
    assert long.eta_p90_hours is not None
    assert 0 < long.eta_p10_hours < 1 < long.eta_p50_hours < 2 < long.eta_p90_hours <= 3
    assert long.warning
    assert long.text.startswith("Likely above 1.95 in about 1.")
    assert "within 4 h: steady lately" in long.text


@pytest.fixture(scope="module")
def room_model() -> tuple[pd.DataFrame, SensorForecaster]:
    frame = room(14, seed=11)
    return frame, fit_sensor_forecaster(
        frame, WatchSettings(time_zone=ZONE, horizon_hours=24, unit="°C")
    )


def test_a_limit_never_reached_has_low_probability_and_no_eta(
    room_model: tuple[pd.DataFrame, SensorForecaster],
) -> None:
    frame, forecaster = room_model
    forecast = forecaster.forecast(frame, frame.index[-1])
    outlook = crossing(forecast, ThresholdSettings(35.0, "above", 24.0))
    assert outlook.probability < 0.01
    assert outlook.eta_p10_hours is None
    assert outlook.eta_p50_hours is None
    assert outlook.eta_p90_hours is None
    assert not outlook.warning
    assert not outlook.already_past
    assert outlook.text.startswith("Not expected above 35 °C within 24 h")


def test_a_sensor_already_past_its_limit(
    room_model: tuple[pd.DataFrame, SensorForecaster],
) -> None:
    frame, forecaster = room_model
    forecast = forecaster.forecast(frame, frame.index[-1])
    outlook = crossing(forecast, ThresholdSettings(15.0, "above", 6.0, warning_probability=0.9))
    assert outlook.already_past
    assert outlook.probability == 1.0
    assert outlook.eta_p50_hours == 0.0
    assert outlook.warning
    assert outlook.text.startswith("Already above 15 °C: now ")
    below = crossing(forecast, ThresholdSettings(25.0, "below", 6.0))
    assert below.already_past


def test_freezer_warming_after_the_door_opens_is_warned_before_the_crossing() -> None:
    failure = pd.Timestamp("2026-02-16 09:00", tz="UTC")
    full = freezer(17, seed=2, failure_at=failure)
    history = full[full.index < failure - pd.Timedelta(hours=2)]
    forecaster = fit_sensor_forecaster(
        history, WatchSettings(time_zone=ZONE, horizon_hours=6, unit="°C")
    )
    threshold = ThresholdSettings(-12.0, "above", 3.0)
    crossed = full.index[(full.index >= failure) & (full["target"] > -12.0)][0]
    before = crossing(forecaster.forecast(full[full.index <= failure], failure), threshold)
    assert before.probability < 0.05
    assert not before.warning
    first_warning = None
    probabilities = []
    for now in pd.date_range(failure, crossed, freq="15min"):
        outlook = crossing(forecaster.forecast(full[full.index <= now], now), threshold)
        probabilities.append(outlook.probability)
        if outlook.warning and first_warning is None:
            first_warning = now
            assert "rising" in outlook.text
    assert first_warning is not None
    assert first_warning < crossed
    assert probabilities[-1] > probabilities[0] + 0.4


@pytest.fixture(scope="module")
def battery_run() -> tuple[pd.DataFrame, SensorForecaster]:
    full = battery(40, seed=3)
    split = full.index[24 * 30]
    forecaster = fit_sensor_forecaster(
        full[full.index < split], WatchSettings(time_zone=ZONE, horizon_hours=48, unit="%")
    )
    return full[full.index >= split - pd.Timedelta(hours=30)], forecaster


def test_battery_crossing_is_predicted_then_confirmed_with_a_consistent_countdown(
    battery_run: tuple[pd.DataFrame, SensorForecaster],
) -> None:
    data, forecaster = battery_run
    threshold = ThresholdSettings(40.0, "below", 24.0)
    values = data["target"]
    # The next time the battery drains from 52 % to under 40 %.
    start = values.index[(values < 52) & (values.shift(1) >= 52)][1]
    crossed = values.index[(values.index > start) & (values < 40)][0]
    assert (crossed - start) > pd.Timedelta(hours=8)
    etas = []
    for now in pd.date_range(start, crossed - pd.Timedelta(hours=1), freq="h"):
        outlook = crossing(forecaster.forecast(data[data.index <= now], now), threshold)
        assert not outlook.already_past
        assert outlook.eta_p50_hours is not None
        etas.append((now, outlook.eta_p50_hours, outlook))
    first_now, first_eta, first = etas[0]
    actual_hours = (crossed - first_now) / pd.Timedelta(hours=1)
    assert first.eta_p10_hours is not None
    assert first.eta_p10_hours - 2 <= actual_hours
    assert first.eta_p90_hours is None or actual_hours <= first.eta_p90_hours + 2
    assert abs(first_eta - actual_hours) < 0.25 * actual_hours
    # Counting down: each hour that passes takes about an hour off the ETA.
    steps = np.diff([eta for _, eta, _ in etas])
    assert np.all(steps < 0)
    assert np.median(steps) == pytest.approx(-1.0, abs=0.3)
    assert etas[-1][2].warning
    assert etas[-1][1] < 3.0
    after = crossing(forecaster.forecast(data[data.index <= crossed], crossed), threshold)
    assert after.already_past
    assert after.eta_p50_hours == 0.0


def test_soil_drying_mentions_the_daily_evaporation() -> None:
    data = soil(24, seed=5)
    forecaster = fit_sensor_forecaster(
        data.iloc[: 96 * 20], WatchSettings(time_zone=ZONE, horizon_hours=24, unit="%")
    )
    threshold = ThresholdSettings(25.0, "below", 24.0)
    # Issue at local 06:00, with the soil at about 30 %: drying through the day ahead.
    local = data.index.tz_convert(ZONE)
    candidates = data.index[(local.hour == 6) & (local.minute == 0) & (data["target"] < 31)]
    candidates = candidates[
        (candidates > data.index[96 * 20]) & (data.loc[candidates, "target"] > 26)
    ]
    now = candidates[0]
    forecast = forecaster.forecast(data[data.index <= now], now)
    outlook = crossing(forecast, threshold)
    assert forecast.contributions["daily_pattern"][40] < 0  # drier by the afternoon
    assert outlook.probability > 0.5
    assert outlook.eta_p50_hours is not None
    assert "usually falls" in outlook.text
    # At night the usual change over the next two hours is flat.
    night = data.index[(local.hour == 0) & (local.minute == 0) & (data.index > now)][0]
    quiet = crossing(
        forecaster.forecast(data[data.index <= night], night),
        ThresholdSettings(5.0, "below", 2.0),
    )
    assert "usually flat in the night" in quiet.text
    assert quiet.probability < 0.01


def _ramp(p50: list[float], width: float = 1.0, **kwargs: object) -> SensorForecast:
    issued = pd.Timestamp("2026-01-01 12:00", tz="UTC")
    values = np.asarray(p50)
    fields: dict[str, object] = {
        "issued_at": issued,
        "timestamps": pd.date_range(issued + pd.Timedelta(hours=1), periods=len(values), freq="h"),
        "p10": values - width,
        "p50": values,
        "p90": values + width,
        "contributions": {},
        "baseline": np.zeros(len(values)),
        "current_value": 0.0,
        "unit": "V",
    }
    fields.update(kwargs)
    return SensorForecast(**fields)  # type: ignore[arg-type]


def test_sentences_for_possible_expected_later_and_falling_cases() -> None:
    # Likely within the window only at the wide P90: "possibly".
    possible = crossing(_ramp([0.0, 0.5, 0.8, 0.9]), ThresholdSettings(1.5, "above", 4.0, 0.2))
    assert possible.warning
    assert possible.eta_p50_hours is None
    assert possible.text.startswith("Possibly above 1.5 V within 4 h (")
    # The median crosses after the warning window: "expected ... in about".
    later = crossing(_ramp([0.0, 0.5, 1.0, 3.0]), ThresholdSettings(2.0, "above", 2.0))
    assert not later.warning
    assert later.eta_p50_hours is not None
    assert later.eta_p50_hours > 3
    assert later.text.startswith("Expected above 2 V in about ")
    # Falling trend and the usual daily change named with its clock time.
    falling = _ramp(
        [0.0, -0.5, -1.0, -1.5],
        trend_per_hour=-0.5,
        trend_since=pd.Timestamp("2026-01-01 09:00", tz="UTC"),
        contributions={"daily_pattern": np.array([0.0, -0.3, -0.6, -0.9])},
        time_zone="UTC",
        current_value=1.0,
    )
    outlook = crossing(falling, ThresholdSettings(-1.2, "below", 4.0))
    assert outlook.warning
    assert "falling 0.50 V/h since 09:00" in outlook.text
    assert "usually falls -0.6 V by 15:00" in outlook.text
    empty = _ramp([], current_value=None)
    nothing = crossing(empty, ThresholdSettings(1.0, "above", 2.0))
    assert nothing.probability == 0.0
    assert nothing.eta_p50_hours is None


def test_contribution_labels() -> None:
    from custom_components.foresight.ml.watch.text import group_label  # noqa: PLC0415

    morning = pd.Timestamp("2026-01-01 07:00", tz="UTC")
    assert group_label("daily_pattern", 1.0, morning) == "usual morning rise"
    assert group_label("daily_pattern", -1.0, morning) == "usual morning fall"
    assert group_label("recent_trend", -1.0, morning) == "falling trend"
    assert group_label("mean_reversion", 1.0, morning) == "back towards the day's average"
    assert group_label("drift", 1.0, morning) == "usual drift"
    assert group_label("exogenous:outdoor_temp", 1.0, morning) == "outdoor temp"
    assert group_label("something_else", 1.0, morning) == "something else"


def test_a_forecast_from_only_a_few_recent_samples(
    room_model: tuple[pd.DataFrame, SensorForecaster],
) -> None:
    frame, forecaster = room_model
    recent = frame.iloc[-3:]
    forecast = forecaster.forecast(recent, frame.index[-1])
    assert forecast.trend_per_hour is None
    assert forecast.trend_since is None
    assert np.isfinite(forecast.p50).all()
    outlook = crossing(forecast, ThresholdSettings(30.0, "above", 6.0))
    assert "steady lately" in outlook.text


def test_a_warning_window_longer_than_the_forecast_uses_the_whole_forecast() -> None:
    forecast = _ramp([0.0, 1.0, 2.0])
    outlook = crossing(forecast, ThresholdSettings(2.0, "above", 48.0))
    assert outlook.probability == pytest.approx(0.5)
    assert outlook.warning
    assert outlook.eta_p50_hours == pytest.approx(3.0)
