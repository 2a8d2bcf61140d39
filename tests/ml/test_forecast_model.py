"""Training, backtest, baseline guard, prediction and explanation of the forecaster."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from custom_components.foresight.ml.forecast import (
    BASELINE_NAMES,
    MIN_HISTORY_HOURS,
    Forecast,
    Forecaster,
    ForecastSettings,
    NotEnoughHistoryError,
    train_forecaster,
)
from custom_components.foresight.ml.forecast.backtest import run_backtest
from custom_components.foresight.ml.forecast.engines import (
    create_engine,
    engine_from_state,
    resolve_engine,
    sklearn_available,
)
from custom_components.foresight.ml.forecast.engines.numpy_ridge import _from_log, _to_log
from custom_components.foresight.ml.forecast.explain import decimals_for, explain_hour
from custom_components.foresight.ml.forecast.features import (
    DAILY_PATTERN,
    RECENT_LEVEL,
    make_layout,
)
from custom_components.foresight.ml.forecast.grid import build_grid
from custom_components.foresight.ml.synthetic import synthetic_home

from .engines import ENGINES

FEATURES = ("outdoor_temp", "occupancy")
ZONE = "Europe/Berlin"


@pytest.fixture(scope="module")
def home() -> pd.DataFrame:
    return synthetic_home(70, seed=3)


def settings_for(engine: str, **overrides: object) -> ForecastSettings:
    return ForecastSettings(
        time_zone=ZONE,
        country="DE",
        engine=engine,
        feature_columns=FEATURES,
        **overrides,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module", params=ENGINES)
def trained(request: pytest.FixtureRequest, home: pd.DataFrame) -> Forecaster:
    return train_forecaster(home.iloc[: -24 * 7], settings_for(request.param))


def issue_of(home: pd.DataFrame) -> pd.Timestamp:
    return home.index[-24 * 7].tz_convert(ZONE).normalize().tz_convert("UTC") + pd.Timedelta(days=1)


# --- training and backtest ------------------------------------------------------------------


def test_model_beats_baselines_on_a_realistic_home(trained: Forecaster) -> None:
    backtest = trained.backtest
    assert not trained.serves_baseline
    # Served day-ahead forecasts of these 28 days (refitted weekly, sensors carried from the
    # issue time) beat the best baseline by 0.116 (numpy) and 0.097 (sklearn); the backtest
    # finds 0.121 and 0.099. It claimed 0.57 while its days read the observed sensors.
    assert backtest.skill > 0.05
    assert backtest.best_baseline in BASELINE_NAMES
    assert backtest.model_mae < min(backtest.baseline_mae.values())
    assert backtest.skill == pytest.approx(
        1 - backtest.model_mae / backtest.baseline_mae[backtest.best_baseline]
    )
    assert 0.6 <= backtest.coverage <= 0.95
    assert backtest.days_evaluated == 28
    assert backtest.hours_evaluated > 24 * 25


def test_trained_until_is_the_end_of_the_last_hour_learnt(
    trained: Forecaster, home: pd.DataFrame
) -> None:
    assert trained.trained_until == home.index[-24 * 7 - 1] + pd.Timedelta(hours=1)


def test_too_little_history_raises_with_counts(home: pd.DataFrame) -> None:
    short = home.iloc[: MIN_HISTORY_HOURS - 1]
    with pytest.raises(NotEnoughHistoryError) as raised:
        train_forecaster(short, settings_for("numpy"))
    assert raised.value.hours_needed == MIN_HISTORY_HOURS
    assert raised.value.hours_available < MIN_HISTORY_HOURS


def test_minimum_history_trains_with_one_backtest_week() -> None:
    frame = synthetic_home(15, seed=5, gap_fraction=0.0)
    forecaster = train_forecaster(frame, settings_for("numpy"))
    assert forecaster.backtest.days_evaluated == 7
    forecast = forecaster.predict(frame, frame.index[-1] + pd.Timedelta(hours=1), hours=24)
    assert np.isfinite(forecast.p50).all()


def test_model_that_cannot_beat_the_baseline_serves_it(home: pd.DataFrame) -> None:
    forecaster = train_forecaster(home, settings_for("numpy", min_skill=0.99))
    assert forecaster.serves_baseline
    assert forecaster.model is None
    assert forecaster.baseline_name == forecaster.backtest.best_baseline
    issue = home.index[-1] + pd.Timedelta(hours=1)
    forecast = forecaster.predict(home, issue, hours=24)
    np.testing.assert_array_equal(forecast.p50, forecast.baselines[forecaster.baseline_name])
    assert forecast.contributions == {}
    assert forecast.served_baseline == forecaster.baseline_name
    assert "does not beat this baseline" in forecast.explain(0, "kWh")
    assert np.all(forecast.p10 <= forecast.p50)
    assert np.all(forecast.p50 <= forecast.p90)


def test_constant_history_serves_a_baseline() -> None:
    index = pd.date_range(pd.Timestamp("2025-01-01", tz="UTC"), periods=24 * 20, freq="h")
    frame = pd.DataFrame({"target": 1.0}, index=index)
    forecaster = train_forecaster(frame, ForecastSettings(time_zone="UTC", engine="numpy"))
    assert forecaster.serves_baseline
    assert forecaster.backtest.skill == 0.0
    forecast = forecaster.predict(frame, index[-1] + pd.Timedelta(hours=1), hours=5)
    np.testing.assert_allclose(forecast.p50, 1.0)


def test_backtest_with_no_scored_hours_reports_nan(home: pd.DataFrame) -> None:
    frame = home.copy()
    frame.loc[frame.index[-24 * 28 :], "target"] = np.nan
    grid = build_grid(frame, FEATURES)
    layout = make_layout(FEATURES, with_holidays=False, with_season=False)
    settings = settings_for("numpy", backtest_days=28)  # the backtest covers only the gap
    result, predictions = run_backtest(grid, layout, settings, lambda: create_engine("numpy"))
    assert predictions.actual.size == 0
    assert np.isnan(result.model_mae)
    assert result.hours_evaluated == 0
    forecaster = train_forecaster(frame, settings)
    assert forecaster.serves_baseline


# --- prediction -----------------------------------------------------------------------------


def test_forecast_shape_quantiles_and_exact_explanation(
    trained: Forecaster, home: pd.DataFrame
) -> None:
    issue = issue_of(home)
    forecast = trained.predict(home[home.index < issue], issue)
    assert len(forecast) == 48
    assert forecast.timestamps[0] == issue
    assert str(forecast.timestamps.tz) == "UTC"
    assert np.all(np.diff(forecast.timestamps.asi8) == 3_600_000_000_000)
    assert np.all(forecast.p10 <= forecast.p50)
    assert np.all(forecast.p50 <= forecast.p90)
    assert np.any(forecast.p10 < forecast.p90)
    total = forecast.baseline + np.sum(list(forecast.contributions.values()), axis=0)
    np.testing.assert_allclose(total, forecast.p50, rtol=0, atol=1e-9)
    assert set(forecast.contributions) == {"daily_pattern", "holiday", "recent_level", *FEATURES}
    assert trained.model is not None
    # The explanation's P50 is the model's own prediction (sklearn: the trees stay additive).
    matrix_forecast = trained.predict(home[home.index < issue], issue, hours=24)
    np.testing.assert_allclose(matrix_forecast.p50, forecast.p50[:24], atol=1e-9)
    actual = home["target"].reindex(forecast.timestamps[:24]).to_numpy()
    known = np.isfinite(actual)
    assert np.mean(np.abs(actual[known] - forecast.p50[:24][known])) < np.mean(actual[known]) * 0.4


def test_sklearn_explanation_matches_model_predict(home: pd.DataFrame) -> None:
    pytest.importorskip("sklearn")
    forecaster = train_forecaster(home, settings_for("sklearn"))
    assert forecaster.model is not None
    grid = build_grid(home, FEATURES)
    from custom_components.foresight.ml.forecast.features import build_features  # noqa: PLC0415

    rows = np.arange(24 * 40, 24 * 41, dtype=np.int64)
    matrix = build_features(
        grid,
        rows,
        np.full(24, 24, dtype=np.int64),
        forecaster.layout,
        forecaster.fills,
        time_zone=ZONE,
        country="DE",
    )
    explained = forecaster.model.explain(matrix)
    np.testing.assert_allclose(explained.p50, forecaster.model.predict(matrix), atol=1e-9)


def test_only_history_before_issue_is_used(trained: Forecaster, home: pd.DataFrame) -> None:
    issue = issue_of(home)
    forecast = trained.predict(home, issue, hours=24)
    tampered = home.copy()
    tampered.loc[tampered.index >= issue, ["target", *FEATURES]] = 99.0
    np.testing.assert_array_equal(trained.predict(tampered, issue, hours=24).p50, forecast.p50)


def test_issue_in_the_middle_of_an_hour_starts_at_the_next_hour(
    trained: Forecaster, home: pd.DataFrame
) -> None:
    issue = issue_of(home) + pd.Timedelta(minutes=20)
    forecast = trained.predict(home, issue, hours=3)
    assert forecast.timestamps[0] == issue.ceil("h")
    # The hour in progress is not complete at issue time, so it must not be used.
    tampered = home.copy()
    tampered.loc[issue.floor("h"), "target"] = 1000.0
    np.testing.assert_array_equal(trained.predict(tampered, issue, hours=3).p50, forecast.p50)


def test_weather_forecast_changes_the_forecast(home: pd.DataFrame) -> None:
    forecaster = train_forecaster(home, settings_for("numpy"))
    issue = home.index[-1] + pd.Timedelta(hours=1)
    hours = pd.date_range(issue, periods=24, freq="h")
    cold = pd.DataFrame({"outdoor_temp": -15.0}, index=hours)
    mild = pd.DataFrame({"outdoor_temp": 18.0}, index=hours)
    cold_forecast = forecaster.predict(home, issue, future_features=cold, hours=24)
    mild_forecast = forecaster.predict(home, issue, future_features=mild, hours=24)
    assert np.all(
        cold_forecast.contributions["outdoor_temp"] > mild_forecast.contributions["outdoor_temp"]
    )
    assert cold_forecast.p50.mean() > mild_forecast.p50.mean() + 0.5
    # Without a forecast the last known value is carried forward.
    persisted = pd.DataFrame({"outdoor_temp": home["outdoor_temp"].iloc[-1]}, index=hours)
    np.testing.assert_allclose(
        forecaster.predict(home, issue, hours=24).p50,
        forecaster.predict(home, issue, future_features=persisted, hours=24).p50,
    )


def test_excluded_rows_are_not_learnt_or_used(home: pd.DataFrame) -> None:
    settings = settings_for("numpy")
    marked = home.copy()
    marked["excluded"] = False
    abnormal = marked.index[-24 * 3 : -24 * 2]
    marked.loc[abnormal, "target"] = 50.0
    marked.loc[abnormal, "excluded"] = True
    dropped = home.copy()
    dropped.loc[abnormal, "target"] = np.nan
    issue = home.index[-1] + pd.Timedelta(hours=1)
    first = train_forecaster(marked, settings).predict(marked, issue, hours=24)
    second = train_forecaster(dropped, settings).predict(dropped, issue, hours=24)
    np.testing.assert_allclose(first.p50, second.p50)


def test_predict_rejects_bad_arguments(trained: Forecaster, home: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="aware"):
        trained.predict(home, pd.Timestamp("2025-02-01 00:00"))
    with pytest.raises(ValueError, match="hours"):
        trained.predict(home, issue_of(home), hours=169)


def test_predict_without_any_recent_history_uses_fill_values(
    trained: Forecaster, home: pd.DataFrame
) -> None:
    later = home.index[-1] + pd.Timedelta(days=90)
    forecast = trained.predict(home.iloc[:10], later, hours=6)
    assert np.isfinite(forecast.p50).all()
    assert np.all(forecast.p10 <= forecast.p90)


# --- engines --------------------------------------------------------------------------------


def test_engine_resolution() -> None:
    assert resolve_engine("numpy") == "numpy"
    assert resolve_engine("auto") == ("sklearn" if sklearn_available() else "numpy")
    with pytest.raises(ValueError, match="unknown engine"):
        create_engine("torch")
    with pytest.raises(ValueError, match="unknown engine"):
        engine_from_state("torch", {}, {}, None)


def test_sklearn_blocked_falls_back_to_numpy(
    monkeypatch: pytest.MonkeyPatch, home: pd.DataFrame
) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)
    assert not sklearn_available()
    assert resolve_engine("auto") == "numpy"
    with pytest.raises(ImportError, match="scikit-learn"):
        resolve_engine("sklearn")
    forecaster = train_forecaster(home, ForecastSettings(time_zone=ZONE, feature_columns=FEATURES))
    assert forecaster.engine == "numpy"
    assert np.isfinite(forecaster.predict(home, home.index[-1] + pd.Timedelta(hours=1)).p50).all()


def test_package_imports_and_works_without_sklearn_in_a_fresh_interpreter() -> None:
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "import pandas as pd\n"
        "from custom_components.foresight.ml.forecast import (\n"
        "    ForecastSettings, dumps, loads, train_forecaster)\n"
        "from custom_components.foresight.ml.synthetic import synthetic_home\n"
        "frame = synthetic_home(20, seed=1)\n"
        "f = loads(dumps(train_forecaster(frame, ForecastSettings(time_zone='UTC')), b'k'), b'k')\n"
        "p = f.predict(frame, frame.index[-1] + pd.Timedelta(hours=1))\n"
        "assert 'sklearn.ensemble' not in sys.modules\n"
        "print(f.engine, len(p))\n"
    )
    result = subprocess.run(  # noqa: S603  (our own interpreter, fixed code)
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["numpy", "48"]


def test_numpy_engine_state_round_trip(home: pd.DataFrame) -> None:
    grid = build_grid(home, FEATURES)
    layout = make_layout(FEATURES, with_holidays=False, with_season=False)
    from custom_components.foresight.ml.forecast.features import build_features, fill_values  # noqa: PLC0415

    rows = np.arange(24, len(grid), dtype=np.int64)
    rows = rows[np.isfinite(grid.target[rows])]
    matrix = build_features(
        grid,
        rows,
        np.full(len(rows), 24, dtype=np.int64),
        layout,
        fill_values(grid, len(grid)),
        time_zone=ZONE,
        country=None,
    )
    engine = create_engine("numpy")
    engine.fit(matrix, grid.target[rows], layout)
    meta, arrays, blob = engine.get_state()
    assert blob is None
    rebuilt = engine_from_state("numpy", json.loads(json.dumps(meta)), arrays, None)
    np.testing.assert_array_equal(rebuilt.predict(matrix[:50]), engine.predict(matrix[:50]))
    explained = rebuilt.explain(matrix[:50])
    np.testing.assert_allclose(explained.p50, engine.predict(matrix[:50]))
    # The baseline is the mean training prediction on the ridge's log scale, back-transformed.
    scale = engine.scale  # type: ignore[attr-defined]
    assert scale > 0
    mean_log = _to_log(engine.predict(matrix), scale).mean()
    assert explained.baseline[0] == pytest.approx(float(_from_log(np.array([mean_log]), scale)[0]))


def test_sklearn_state_without_tree_arrays_is_rejected() -> None:
    # Loading needs no scikit-learn, so this runs without it too.
    with pytest.raises(ValueError, match="no tree arrays"):
        engine_from_state("sklearn", {}, {}, None)
    # A state of the older format held a pickled model.
    with pytest.raises(ValueError, match="no tree arrays"):
        engine_from_state("sklearn", {"trees": {}}, {}, b"pickled model")


# --- explanations ---------------------------------------------------------------------------


def test_explanation_sentence_names_usual_level_and_top_contributions() -> None:
    text = explain_hour(
        local_time=pd.Timestamp("2025-01-08 18:00", tz=ZONE),
        p50=1.84,
        baseline=1.0,
        contributions={
            DAILY_PATTERN: 0.2,
            "outdoor_temp": 0.41,
            RECENT_LEVEL: 0.23,
            "occupancy": 0.001,
            "holiday": 0.0,
        },
        unit="kWh",
        labels={"outdoor_temp": "cold outside"},
    )
    assert (
        text == "Expected 1.8 kWh from 18:00: usual for a weekday evening 1.2, cold outside +0.4, "
        "higher than usual recently +0.2"
    )


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {
                "p50": 0.3,
                "baseline": 0.5,
                "contributions": {"recent_level": -0.2, "season": 0.04, "holiday": 0.03},
            },
            (
                "Expected 0.30 W from 03:00: usual for a Sunday night 0.50, "
                "lower than usual recently -0.20, time of year +0.04, public holiday +0.03"
            ),
        ),
        (
            {
                "p50": 250.0,
                "baseline": 250.0,
                "contributions": {"heat_pump_power": -0.2},
                "unit": "",
            },
            "Expected 250 from 03:00: usual for a Sunday night 250",
        ),
        (
            {"p50": 12.0, "baseline": 12.0, "contributions": {"solar_irradiance": -1.0}},
            "Expected 12.0 W from 03:00: usual for a Sunday night 12.0, solar irradiance -1.0",
        ),
    ],
)
def test_explanation_wording(kwargs: dict[str, object], expected: str) -> None:
    arguments: dict[str, object] = {
        "local_time": pd.Timestamp("2025-01-12 03:00", tz=ZONE),
        "unit": "W",
    }
    arguments.update(kwargs)
    assert explain_hour(**arguments) == expected  # type: ignore[arg-type]


def test_decimals_follow_magnitude() -> None:
    assert [decimals_for(value) for value in (0.04, -3.2, 150.0)] == [2, 1, 0]


def test_forecast_explain_and_records(trained: Forecaster, home: pd.DataFrame) -> None:
    issue = issue_of(home)
    forecast = trained.predict(home, issue, hours=24)
    local = forecast.timestamps[18].tz_convert(ZONE)
    text = forecast.explain(18, "kWh")
    assert text.startswith(f"Expected {forecast.p50[18]:.1f} kWh from {local:%H:%M}: usual for a")
    records = forecast.as_records()
    assert len(records) == 24
    decoded = json.loads(json.dumps(records))
    assert decoded[0]["timestamp"] == issue.isoformat()
    assert decoded[0]["p50"] == round(float(forecast.p50[0]), 4)
    assert set(decoded[0]["contributions"]) == set(forecast.contributions)


def test_records_turn_non_finite_values_into_null() -> None:
    forecast = Forecast(
        timestamps=pd.DatetimeIndex([pd.Timestamp("2025-01-01", tz="UTC")]),
        p10=np.array([np.nan]),
        p50=np.array([1.0]),
        p90=np.array([2.0]),
        baseline=np.array([1.0]),
        contributions={},
        baselines={},
        time_zone="UTC",
    )
    assert forecast.as_records()[0]["p10"] is None


def test_lookback_hours_of_history_suffice(trained: Forecaster, home: pd.DataFrame) -> None:
    from custom_components.foresight.ml.forecast.features import LOOKBACK_HOURS  # noqa: PLC0415

    issue = issue_of(home)
    past = home[home.index < issue]
    recent = past[past.index >= issue - pd.Timedelta(hours=LOOKBACK_HOURS)]
    full = trained.predict(past, issue, hours=168)
    np.testing.assert_array_equal(trained.predict(recent, issue, hours=168).p50, full.p50)
    shorter = past[past.index >= issue - pd.Timedelta(hours=LOOKBACK_HOURS - 200)]
    assert not np.array_equal(trained.predict(shorter, issue, hours=168).p50, full.p50)
