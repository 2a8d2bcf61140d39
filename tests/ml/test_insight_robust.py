"""Energy insight on awkward input: gaps, spikes, exclusions, too little data, anything at all."""

import json

from hypothesis import HealthCheck, given, settings, strategies as st
import numpy as np
import pandas as pd
import pytest

from bench.insight_home import insight_home
from custom_components.foresight.ml.insight import EnergyInsight, energy_insight

ZONE = "Europe/Berlin"
NOW = pd.Timestamp("2026-03-02", tz=ZONE)


def analyse(frame: pd.DataFrame, *, temperature: str | None = "outdoor_temp") -> EnergyInsight:
    return energy_insight(frame, time_zone=ZONE, now=NOW, temperature_column=temperature)


def assert_nothing_known(insight: EnergyInsight) -> None:
    assert insight.base_load_w is None
    assert insight.base_load_change_w is None
    assert insight.kwh_per_heating_degree_day is None
    assert insight.trend_percent is None
    assert insight.top_hours == ()
    assert not insight.weather_normalised
    assert "at least 14 days" in insight.text


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame(),
        pd.DataFrame({"target": []}, index=pd.DatetimeIndex([], tz="UTC")),
        pd.DataFrame({"value": [1.0]}, index=pd.DatetimeIndex(["2026-03-01"], tz="UTC")),
        pd.DataFrame({"target": [1.0]}, index=pd.DatetimeIndex(["2026-03-01"])),  # naive
        pd.DataFrame({"target": [1.0, 2.0]}, index=[0, 1]),
    ],
)
def test_unusable_frames_say_what_is_needed(frame: pd.DataFrame) -> None:
    insight = analyse(frame)
    assert_nothing_known(insight)
    assert insight.days_of_data == 0


def test_all_nan_frame() -> None:
    frame, _ = insight_home()
    frame["target"] = np.nan
    assert_nothing_known(analyse(frame))


def test_ten_days_are_too_few() -> None:
    frame, _ = insight_home(days=10)
    insight = analyse(frame)
    assert_nothing_known(insight)
    assert insight.days_of_data == 10
    assert "there are 10 usable days" in insight.text


def test_three_weeks_give_base_load_but_no_comparison() -> None:
    frame, _ = insight_home(days=21, heating_kwh_per_dd=0.0)
    insight = analyse(frame)
    assert insight.base_load_w == pytest.approx(150.0, rel=0.03)
    assert insight.base_load_month_ago_w is None
    assert insight.base_load_change_w is None
    assert insight.trend_percent is None
    assert insight.top_hours  # 21 days of the last 28 are enough for the hours
    assert "needs 5 weeks of data" in insight.text
    assert "A trend needs 8 weeks of data" in insight.text


def test_data_after_now_and_before_the_window_are_ignored() -> None:
    frame, truth = insight_home(days=90, heating_kwh_per_dd=0.0, end="2026-04-01")
    early = energy_insight(frame, time_zone=ZONE, now=NOW, temperature_column="outdoor_temp")
    cut = energy_insight(
        frame[frame.index < NOW], time_zone=ZONE, now=NOW, temperature_column="outdoor_temp"
    )
    assert early == cut
    assert early.days_of_data == 56
    assert truth.now > NOW


def test_spikes_glitches_and_gaps() -> None:
    clean, truth = insight_home(seed=3, step_w=120.0)
    frame, _ = insight_home(seed=3, step_w=120.0, gap_fraction=0.05)
    rng = np.random.default_rng(1)
    rows = rng.choice(len(frame), 40, replace=False)
    target = frame["target"].to_numpy().copy()
    target[rows[:20]] = 60.0  # spikes
    target[rows[20:30]] = 0.0  # glitches to zero
    target[rows[30:]] = -5.0  # negative nonsense
    frame["target"] = target
    insight = energy_insight(
        frame, time_zone=ZONE, now=truth.now, temperature_column="outdoor_temp"
    )
    reference = energy_insight(
        clean, time_zone=ZONE, now=truth.now, temperature_column="outdoor_temp"
    )
    assert insight.base_load_change_w == pytest.approx(120.0, rel=0.10)
    assert insight.base_load_w == pytest.approx(reference.base_load_w, rel=0.05)
    assert insight.kwh_per_heating_degree_day == pytest.approx(2.0, rel=0.10)


def test_excluded_hours_are_left_out() -> None:
    frame, truth = insight_home(seed=0, heating_kwh_per_dd=0.0)
    local = frame.index.tz_convert(ZONE)
    days = (local >= truth.now - pd.Timedelta(days=3)) & (local < truth.now)
    frame["target"] = np.where(days, frame["target"] + 1.0, frame["target"])  # +1 kW all day
    frame["excluded"] = days
    insight = energy_insight(frame, time_zone=ZONE, now=truth.now)
    assert insight.base_load_w == pytest.approx(150.0, rel=0.03)
    assert insight.trend_percent is not None
    assert abs(insight.trend_percent) < 3.0
    frame["excluded"] = False
    shifted = energy_insight(frame, time_zone=ZONE, now=truth.now)
    assert shifted.trend_percent is not None
    assert shifted.trend_percent > 10.0  # the flag is what kept the days out
    # Three odd days of seven do not move the weekly median base.
    assert shifted.base_load_w == pytest.approx(150.0, rel=0.03)


def test_missing_or_empty_temperature_falls_back_to_the_plain_trend() -> None:
    frame, truth = insight_home(seed=0)
    frame["outdoor_temp"] = np.nan
    for insight in (
        energy_insight(frame, time_zone=ZONE, now=truth.now, temperature_column="outdoor_temp"),
        energy_insight(frame, time_zone=ZONE, now=truth.now, temperature_column="nope"),
    ):
        assert not insight.weather_normalised
        assert insight.trend_percent is not None
        assert insight.kwh_per_heating_degree_day is None
        assert "the temperature sensor had too few values" in insight.text


def test_naive_now_is_utc_and_to_dict_is_json() -> None:
    frame, truth = insight_home(seed=0, step_w=120.0)
    naive = truth.now.tz_convert("UTC").tz_localize(None)
    insight = energy_insight(frame, time_zone=ZONE, now=naive, temperature_column="outdoor_temp")
    assert insight == energy_insight(
        frame, time_zone=ZONE, now=truth.now, temperature_column="outdoor_temp"
    )
    data = json.loads(json.dumps(insight.to_dict()))
    assert data["base_load_change_w"] == insight.base_load_change_w
    assert data["weather_normalised"] is True
    assert data["top_hours"][0]["label"] == insight.top_hours[0].label
    assert set(data["top_hours"][0]) == {"days", "start_hour", "end_hour", "share_percent", "label"}
    assert data["text"] == insight.text


FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1.0, max_value=5.0),
    st.just(0.0),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    hours=st.integers(0, 60 * 24),
    nan_share=st.floats(0.0, 1.0),
    drop_share=st.floats(0.0, 1.0),
    head=st.lists(FLOATS, max_size=48),
    temperature=st.booleans(),
    excluded=st.booleans(),
)
def test_never_raises(
    seed: int,
    hours: int,
    nan_share: float,
    drop_share: float,
    head: list[float],
    temperature: bool,
    excluded: bool,
) -> None:
    rng = np.random.default_rng(seed)
    index = pd.date_range(NOW - pd.Timedelta(hours=hours), periods=hours, freq="h")
    values = rng.gamma(1.0, 0.5, hours)
    values[: len(head)] = head[:hours]
    values[rng.random(hours) < nan_share] = np.nan
    frame = pd.DataFrame({"target": values}, index=index)
    if temperature:
        frame["outdoor_temp"] = np.where(rng.random(hours) < 0.2, np.nan, rng.normal(8, 6, hours))
    if excluded:
        frame["excluded"] = rng.random(hours) < 0.1
    frame = frame[rng.random(hours) >= drop_share]
    insight = analyse(frame, temperature="outdoor_temp" if temperature else None)
    assert isinstance(insight.text, str)
    assert insight.text
    assert 0 <= insight.days_of_data <= 56
    json.dumps(insight.to_dict())
    for value in (insight.base_load_w, insight.trend_percent, insight.kwh_per_heating_degree_day):
        assert value is None or np.isfinite(value)
    if insight.days_of_data < 14:
        assert insight.base_load_w is None
    for base in (insight.base_load_w, insight.base_load_month_ago_w):
        assert base is None or base >= 0.0


def test_data_that_stopped_three_weeks_ago() -> None:
    frame, truth = insight_home(seed=0, heating_kwh_per_dd=0.0)
    stopped = frame[frame.index < truth.now - pd.Timedelta(days=21)]
    insight = energy_insight(stopped, time_zone=ZONE, now=truth.now)
    assert insight.days_of_data == 35
    assert insight.base_load_w is None
    assert insight.base_load_month_ago_w == pytest.approx(150.0, rel=0.03)
    assert insight.top_hours == ()
    assert "Base load needs at least 4 complete days of data in the last week." in insight.text
    assert "need 14 days of data in the last 4 weeks" in insight.text


def test_a_perfectly_flat_meter() -> None:
    index = pd.date_range(NOW - pd.Timedelta(days=60), NOW, freq="h", inclusive="left")
    frame = pd.DataFrame({"target": np.full(len(index), 0.5)}, index=index)
    insight = analyse(frame, temperature=None)
    assert insight.base_load_w == pytest.approx(500.0)
    assert insight.base_load_change_w == pytest.approx(0.0)
    assert insight.trend_percent == pytest.approx(0.0)
    assert insight.top_hours == ()
    assert "No hours of the week stand out" in insight.text
    assert "about the same as the 4 weeks before" in insight.text


def test_excluded_given_as_text_numbers() -> None:
    frame, truth = insight_home(seed=0, heating_kwh_per_dd=0.0)
    local = frame.index.tz_convert(ZONE)
    days = local >= truth.now - pd.Timedelta(days=3)
    frame["target"] = np.where(days, frame["target"] + 1.0, frame["target"])
    frame["excluded"] = np.where(days, "1", "0")
    insight = energy_insight(frame, time_zone=ZONE, now=truth.now)
    assert insight.trend_percent is not None
    assert abs(insight.trend_percent) < 3.0


def test_robust_fit_exact_and_degenerate() -> None:
    from custom_components.foresight.ml.insight.regression import robust_fit  # noqa: PLC0415

    x = np.arange(20.0)
    design = np.column_stack([np.ones(20), x])
    coefficients, errors = robust_fit(design, 3.0 + 2.0 * x)
    assert coefficients == pytest.approx([3.0, 2.0])
    assert errors == pytest.approx([0.0, 0.0], abs=1e-6)
    outlier = 3.0 + 2.0 * x + np.random.default_rng(0).normal(0, 0.1, 20)
    outlier[5] += 100.0
    fitted, _ = robust_fit(design, outlier)
    assert fitted[1] == pytest.approx(2.0, abs=0.05)  # one wild row has no pull
    twin = np.column_stack([np.ones(20), x, x])
    fitted, errors = robust_fit(twin, outlier)
    assert np.all(np.isfinite(fitted))
    assert errors.shape == (3,)
