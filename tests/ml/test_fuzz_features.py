"""Fuzz the forecast's feature builder through the public API: arbitrary timestamps, values, gaps.

Whatever the history looks like, training either says there is not enough of it or gives a
forecaster whose every forecast is finite, ordered (P10 <= P50 <= P90), exactly explained
(baseline + contributions = P50), and blind to anything after the issue time.
"""

import math

from hypothesis import HealthCheck, event, given, settings, strategies as st
import numpy as np
import pandas as pd

from custom_components.foresight.ml.forecast import (
    ForecastSettings,
    NotEnoughHistoryError,
    train_forecaster,
)

ZONES = ("UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata")


@st.composite
def histories(draw: st.DrawFn) -> tuple[pd.DataFrame, str]:
    """Irregular, gappy, sometimes wild hourly-ish history with an exogenous column."""
    days = draw(st.integers(min_value=16, max_value=45))
    rng = np.random.default_rng(draw(st.integers(min_value=0, max_value=2**32 - 1)))
    hours = days * 24
    # Readings a little off the hour, some hours twice, some not at all.
    offsets = rng.integers(0, 3600, hours)
    start = pd.Timestamp(
        draw(
            st.datetimes(
                min_value=pd.Timestamp(2020, 1, 1).to_pydatetime(),
                max_value=pd.Timestamp(2030, 1, 1).to_pydatetime(),
            )
        )
    )
    index = start.tz_localize("UTC") + pd.to_timedelta(np.arange(hours) * 3600 + offsets, "s")
    scale = draw(st.sampled_from([1e-3, 1.0, 1e3, 1e6]))
    values = scale * rng.gamma(2.0, 0.5, hours)
    gap_share = draw(st.floats(min_value=0.0, max_value=0.3))
    values[rng.random(hours) < gap_share] = np.nan
    if draw(st.booleans()):
        values[rng.integers(0, hours)] = scale * 1e4  # a glitch
    if draw(st.booleans()):
        values[: hours // 3] = 0.0  # a dead meter
    outdoor = np.where(rng.random(hours) < 0.2, np.nan, rng.normal(5, 8, hours))
    frame = pd.DataFrame({"target": values, "outdoor": outdoor}, index=index)
    frame = frame.iloc[rng.permutation(hours)[: int(hours * 0.95)]].sort_index()
    return frame, draw(st.sampled_from(ZONES))


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(histories())
def test_forecasts_from_any_history_are_finite_ordered_explained_and_causal(
    history: tuple[pd.DataFrame, str],
) -> None:
    frame, zone = history
    options = ForecastSettings(
        time_zone=zone, engine="numpy", horizon_hours=30, feature_columns=("outdoor",)
    )
    try:
        forecaster = train_forecaster(frame, options)
    except NotEnoughHistoryError:
        event("not enough history")
        # Only a history with under two weeks of known hours (and a glitch) may be refused.
        known_hours = frame.index[frame["target"].notna()].floor("h").nunique()
        assert known_hours <= 14 * 24 + 1
        return
    event("trained")
    issue = frame.index[-1].ceil("h") - pd.Timedelta(hours=5)
    forecast = forecaster.predict(frame, issue)

    assert len(forecast.p50) == 30
    for values in (forecast.p10, forecast.p50, forecast.p90):
        assert np.all(np.isfinite(values))
    assert np.all(forecast.p10 <= forecast.p50)
    assert np.all(forecast.p50 <= forecast.p90)
    if not forecaster.serves_baseline:
        total = forecast.baseline + sum(forecast.contributions.values())
        assert np.allclose(total, forecast.p50, rtol=1e-9, atol=1e-9 * max(1.0, abs(total).max()))
    for index in range(len(forecast.p50)):
        assert forecast.explain(index, "kWh")

    # Rows after the issue time must not change anything: garble them and forecast again.
    future = frame.index >= issue
    garbled = frame.copy()
    garbled.loc[future, "target"] = 1e9
    garbled.loc[future, "outdoor"] = -273.0
    again = forecaster.predict(garbled, issue)
    assert np.array_equal(again.p50, forecast.p50)
    assert all(math.isfinite(value) for value in again.p90)
