"""The benchmark entry points and the packed IsolationForest."""

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from bench import anomaly, anomaly_data
from custom_components.foresight.ml.anomaly import AnomalySettings
from custom_components.foresight.ml.anomaly.expected import RollingPlan
from custom_components.foresight.ml.anomaly.forest import PackedForest, average_path_length
from tests.ml.test_anomaly_expected import recording_trainer
from tests.ml.test_anomaly_support import ZONE, household, temperature


def test_packed_forest_matches_scikit_learn() -> None:
    ensemble = pytest.importorskip("sklearn.ensemble")
    rows = np.random.default_rng(0).normal(size=(600, 3))
    rows[:4] += 6.0
    forest = ensemble.IsolationForest(n_estimators=20, random_state=0, n_jobs=1).fit(rows)
    packed = PackedForest.from_sklearn(forest)
    assert np.allclose(packed.anomaly_scores(rows), -forest.score_samples(rows))
    assert average_path_length(np.array([0.0, 1.0, 2.0]))[2] == 1.0


def test_energy_benchmark_writes_one_row_per_online_reading(tmp_path: Path) -> None:
    frame = household(weeks=5)
    csv = tmp_path / "load.csv"
    pd.DataFrame(
        {"time": [t.isoformat() for t in frame.index], "kwh": frame["target"].to_numpy()}
    ).to_csv(csv, index=False)
    out = tmp_path / "out.csv"
    train_until = frame.index[4 * 168].isoformat()
    argv = ["--csv", str(csv), "--timestamp-col", "time", "--value-col", "kwh"]
    argv += ["--train-until", train_until, "--out", str(out), "--time-zone", "Europe/Berlin"]
    assert anomaly.main(argv) == 0
    result = pd.read_csv(out)
    assert list(result.columns) == ["timestamp", "score", "is_anomaly"]
    assert len(result) == 168
    assert result["score"].between(0, 1).all()


def test_sensor_benchmark_with_features_and_naive_times(tmp_path: Path) -> None:
    frame = temperature(hours=1.5)
    csv = tmp_path / "sensor.csv"
    naive = frame.index.tz_convert("Europe/Berlin").tz_localize(None)
    pd.DataFrame(
        {"t": naive.astype(str), "temp": frame["target"], "hum": frame["humidity"]}
    ).to_csv(csv, index=False)
    out = tmp_path / "out.csv"
    argv = ["--csv", str(csv), "--timestamp-col", "t", "--value-col", "temp"]
    argv += ["--feature-col", "hum", "--train-until", str(naive[720]), "--out", str(out)]
    argv += ["--time-zone", "Europe/Berlin", "--sensitivity", "0.6", "--multivariate", "off"]
    assert anomaly.main(argv) == 0
    assert len(pd.read_csv(out)) == len(frame) - 720


def test_detectors_are_fitted_on_rows_before_train_until(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No look-ahead: the fit (and its calibration bands) end before ``--train-until``."""
    fitted: list[tuple[pd.Timestamp, pd.Timestamp | None]] = []  # (last row, last band)

    def spy(real: Callable[..., Any]) -> Callable[..., Any]:
        def fit(frame: pd.DataFrame, *args: Any, **kwargs: Any) -> Any:
            expected = kwargs.get("expected")
            fitted.append((frame.index[-1], None if expected is None else expected.index[-1]))
            return real(frame, *args, **kwargs)

        return fit

    monkeypatch.setattr(anomaly, "fit_energy_detector", spy(anomaly.fit_energy_detector))
    monkeypatch.setattr(anomaly, "fit_sensor_detector", spy(anomaly.fit_sensor_detector))
    settings = AnomalySettings(time_zone=ZONE, use_multivariate=False)
    energy = household(weeks=7)
    until = energy.index[6 * 168]
    log: list[tuple[str, pd.Timestamp, object]] = []
    plan = RollingPlan(time_zone=ZONE)
    for forecast in (None, (recording_trainer(log), plan)):
        out, _ = anomaly.run(energy, until, settings, "energy", forecast)
        assert len(out) == 168
    sensors = temperature(hours=1.5)
    sensor_until = sensors.index[720]
    out, _ = anomaly.run(sensors, sensor_until, settings, "sensor")
    assert len(out) == len(sensors) - 720
    assert len(fitted) == 3
    (profile_end, no_bands), (forecast_end, band_end), (sensor_end, _) = fitted
    assert no_bands is None
    assert band_end is not None
    assert profile_end == forecast_end == until - pd.Timedelta(hours=1)
    assert band_end < until
    assert sensor_end == sensors.index[719] < sensor_until


def test_daily_retrain_fits_as_home_assistant_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """A year of rows at most, a refit at 03:00 local each day on the rows before it."""
    fitted: list[tuple[pd.Timestamp, pd.Timestamp]] = []  # (first row, last row)
    real = anomaly.fit_energy_detector

    def fit(frame: pd.DataFrame, *args: Any, **kwargs: Any) -> Any:
        fitted.append((frame.index[0], frame.index[-1]))
        return real(frame, *args, **kwargs)

    monkeypatch.setattr(anomaly, "fit_energy_detector", fit)
    settings = AnomalySettings(time_zone=ZONE)
    energy = household(weeks=6)
    until = energy.index[5 * 168]
    out, _ = anomaly.run(energy, until, settings, "energy", retrain_days=21)
    assert len(out) == 168
    first, *refits = fitted
    assert first == (until - pd.Timedelta(days=21), until - pd.Timedelta(hours=1))
    assert len(refits) == 7
    for start, end in refits:
        moment = end + pd.Timedelta(hours=1)
        assert moment.tz_convert(ZONE).hour == anomaly.RETRAIN_HOUR
        assert start == moment - pd.Timedelta(days=21)


def test_retrain_times_follow_the_local_clock() -> None:
    # 2025-03-30: Europe/Berlin skips 02:00-03:00; 03:00 local is 01:00 UTC that day.
    index = pd.date_range("2025-03-29 00:00", "2025-03-31 23:00", freq="h", tz="UTC")
    times = sorted(anomaly.retrain_times(index, "Europe/Berlin"))
    assert [t.isoformat() for t in times] == [
        "2025-03-29T02:00:00+00:00",
        "2025-03-30T01:00:00+00:00",
        "2025-03-31T01:00:00+00:00",
    ]


def test_choose_kind() -> None:
    assert anomaly.choose_kind(household(weeks=1), "auto") == "energy"
    assert anomaly.choose_kind(temperature(hours=0.1), "auto") == "sensor"
    assert anomaly.choose_kind(household(weeks=1), "sensor") == "sensor"


def test_injection_and_event_scoring(tmp_path: Path) -> None:
    series = household(weeks=6)["target"]
    rng = np.random.default_rng(0)
    injected, events = anomaly_data.inject_energy(
        series, "Europe/Berlin", rng, pd.Timedelta(days=5)
    )
    assert {e.kind for e in events} == {"stuck_on", "night_spike", "base_step", "dropout"}
    assert (injected != series).sum() > 0
    flags = np.zeros(len(series), dtype=int)
    first = events[0]
    flags[(series.index >= first.start) & (series.index <= first.end)] = 1
    flags[5] = 1  # one false alarm far from any event
    out = tmp_path / "out.csv"
    pd.DataFrame(
        {"timestamp": [t.isoformat() for t in series.index], "score": 0.0, "is_anomaly": flags}
    ).to_csv(out, index=False)
    scores = anomaly_data.score_output(out, events, pd.Timedelta(hours=3))
    assert scores.detected == 1
    assert scores.false_alarms == 1
    assert scores.by_kind[first.kind][0] == 1
    sensors = temperature(hours=3)
    faulty, sensor_events = anomaly_data.inject_sensor(
        sensors, "target", rng, pd.Timedelta(minutes=30)
    )
    assert {e.kind for e in sensor_events} == {"stuck", "jump", "dropout", "glitch"}
    assert (faulty["target"] == 0.0).any()


def test_energy_case_can_end_before_the_reported_year(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--tuning`` runs a year that ends where the reported year starts, nothing after it."""
    frame = household(weeks=12)
    csv = tmp_path / "load.csv"
    naive = frame.index.tz_convert("Europe/Berlin").tz_localize(None)
    pd.DataFrame({"timestamp": naive.astype(str), "kwh": frame["target"].to_numpy()}).to_csv(
        csv, index=False
    )
    monkeypatch.setattr(anomaly_data, "DEFAULT_DATA_DIR", tmp_path)
    start, end = str(naive[6 * 168].date()), str(naive[10 * 168].date())
    case = anomaly_data.energy_case(
        "tuning",
        csv,
        "kwh",
        time_zone="Europe/Berlin",
        test_start=start,
        test_end=end,
        source="synthetic",
        rng=np.random.default_rng(0),
    )
    written = pd.read_csv(case.csv)
    last = pd.Timestamp(written["timestamp"].iloc[-1])
    assert last < pd.Timestamp(end, tz="Europe/Berlin")
    assert all(e.end < pd.Timestamp(end, tz="Europe/Berlin") for e in case.events)
    assert case.train_until == pd.Timestamp(start, tz="Europe/Berlin").tz_convert("UTC").isoformat()


def test_household_years_and_seeds_are_chosen_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--earlier`` / ``--tuning`` pick the household's earlier years, ``--seed`` the injection."""
    calls: list[tuple[float, bool, bool]] = []

    def fake_case(rng: np.random.Generator, *, tuning: bool = False, earlier: bool = False) -> str:
        calls.append((float(rng.random()), tuning, earlier))
        return "case"

    monkeypatch.setattr(anomaly_data, "household_case", fake_case)

    def choose(*argv: str) -> int:
        parser_args = argparse.Namespace(
            earlier="--earlier" in argv,
            tuning="--tuning" in argv,
            seed=int(argv[-1]) if "--seed" in argv else None,
        )
        _, seed = anomaly_data._prepare(fake_case, parser_args)  # type: ignore[arg-type]
        return seed

    assert choose("--earlier") == anomaly_data.EARLIER_SEED
    assert calls[-1][1:] == (False, True)
    assert choose("--tuning") == anomaly_data.TUNING_SEED
    assert calls[-1][1:] == (True, False)
    assert choose("--tuning", "--seed", "21") == 21
    assert calls[-1][0] == float(np.random.default_rng(21).random())
    assert choose() == anomaly_data.SEED
    assert calls[-1][1:] == (False, False)
