"""Sensor detector: stuck values, impossible jumps, range, several sensors, persistence."""

from datetime import timedelta
import json
import sys

import numpy as np
import pandas as pd
import pytest

from custom_components.foresight.ml.anomaly import (
    AnomalyKind,
    AnomalySettings,
    SensorAnomalyDetector,
    fit_sensor_detector,
    restore_detector,
    sklearn_available,
)
from tests.ml.test_anomaly_support import temperature

SETTINGS = AnomalySettings(use_multivariate=False)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return temperature(hours=6)


TRAIN = 4 * 720  # four hours of 5-second readings


def fit(data: pd.DataFrame, settings: AnomalySettings = SETTINGS) -> SensorAnomalyDetector:
    return fit_sensor_detector(data.iloc[:TRAIN], settings)


def run(detector: SensorAnomalyDetector, frame: pd.DataFrame, *, both: bool = False) -> list[bool]:
    flags = []
    for moment, row in frame.iterrows():
        values = {"target": row["target"], "humidity": row["humidity"]}
        status = detector.update(moment, values if both else float(row["target"]))
        flags.append(status.is_anomaly)
    return flags


def test_clean_readings_raise_no_alarm(data: pd.DataFrame) -> None:
    assert not any(run(fit(data), data.iloc[TRAIN:]))


def test_stuck_value_is_flagged_with_duration(data: pd.DataFrame) -> None:
    detector = fit(data)
    test = data.iloc[TRAIN : TRAIN + 360].copy()
    test.iloc[60:, 0] = test.iloc[59, 0]  # the sensor stops changing after 5 minutes
    statuses = [detector.update(t, float(v)) for t, v in test["target"].items()]
    first = next(i for i, s in enumerate(statuses) if s.is_anomaly)
    assert 60 < first < 300
    last = statuses[-1]
    assert last.explanation is not None
    assert last.explanation.kind is AnomalyKind.STUCK
    assert last.since == test.index[59]
    text = last.describe(unit="°C")
    assert text.startswith(f"value unchanged at {test.iloc[59, 0]:.1f} °C for")


def test_impossible_jump_is_flagged(data: pd.DataFrame) -> None:
    detector = fit(data)
    test = data.iloc[TRAIN : TRAIN + 100].copy()
    test.iloc[50:, 0] += 15.0  # the reading leaps and stays there
    statuses = [detector.update(t, float(v)) for t, v in test["target"].items()]
    assert not any(s.is_anomaly for s in statuses[:50])
    assert statuses[50].is_anomaly
    explanation = statuses[50].explanation
    assert explanation is not None
    assert explanation.kind in {AnomalyKind.JUMP, AnomalyKind.OUT_OF_RANGE}
    assert explanation.actual == pytest.approx(test.iloc[50, 0])


def test_single_noisy_reading_never_flips_the_state(data: pd.DataFrame) -> None:
    detector = fit(data)
    test = data.iloc[TRAIN : TRAIN + 200].copy()
    test.iloc[40, 0] += 0.6  # one odd reading: a high score, but no alarm
    statuses = [detector.update(t, float(v)) for t, v in test["target"].items()]
    assert statuses[40].score >= 0.5
    assert not any(s.is_anomaly for s in statuses)


def test_out_of_range_drift_is_explained(data: pd.DataFrame) -> None:
    detector = fit(data)
    test = data.iloc[TRAIN : TRAIN + 400].copy()
    test["target"] = test["target"].to_numpy() + np.linspace(0.0, 8.0, len(test))
    statuses = [detector.update(t, float(v)) for t, v in test["target"].items()]
    assert statuses[-1].is_anomaly
    explanation = statuses[-1].explanation
    assert explanation is not None
    assert explanation.kind is AnomalyKind.OUT_OF_RANGE
    assert "outside the usual range" in statuses[-1].describe(unit="°C")


@pytest.mark.skipif(not sklearn_available(), reason="needs scikit-learn")
def test_broken_relation_between_sensors_is_flagged(data: pd.DataFrame) -> None:
    detector = fit(data, AnomalySettings())
    assert detector.multivariate is not None
    assert not any(run(detector, data.iloc[TRAIN : TRAIN + 600], both=True))
    test = data.iloc[TRAIN + 600 : TRAIN + 900].copy()
    # Humidity moves to the other end of its range while the temperature stays put: each is
    # within its own range, only the combination is new.
    test["humidity"] = test["humidity"] + 4.5
    flags = run(detector, test, both=True)
    assert any(flags)


def test_detection_works_without_scikit_learn(
    data: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)
    assert not sklearn_available()
    detector = fit_sensor_detector(data.iloc[:TRAIN], AnomalySettings())
    assert detector.multivariate is None
    test = data.iloc[TRAIN : TRAIN + 100].copy()
    test.iloc[50:, 0] += 15.0
    assert run(detector, test, both=True)[60]


@pytest.mark.skipif(not sklearn_available(), reason="needs scikit-learn")
def test_saved_multivariate_detector_restores_without_scikit_learn(
    data: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backup from HA Core restored on HA OS (no scikit-learn): the channels carry on."""
    saved = json.loads(json.dumps(fit(data, AnomalySettings()).to_dict()))
    assert saved["multivariate"] is not None
    channels_only = restore_detector({**saved, "multivariate": None})
    # Hidden as on a system without it (sklearn.ensemble is already imported here).
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.ensemble", None)
    restored = restore_detector(saved)
    assert isinstance(restored, SensorAnomalyDetector)
    assert restored.multivariate is None
    test = data.iloc[TRAIN : TRAIN + 100].copy()
    test.iloc[50:, 0] += 15.0
    for moment, row in test.iterrows():
        values = {"target": row["target"], "humidity": row["humidity"]}
        a, b = restored.update(moment, values), channels_only.update(moment, values)
        assert (a.score, a.is_anomaly, a.since) == (b.score, b.is_anomaly, b.since)
    assert restored.is_anomaly


def test_mark_normal_clears_stuck_alarm_and_allows_longer_runs(data: pd.DataFrame) -> None:
    detector = fit(data)
    test = data.iloc[TRAIN : TRAIN + 400].copy()
    test.iloc[10:, 0] = test.iloc[9, 0]
    flags = run(detector, test)
    assert flags[-1]
    before = detector.channels["target"].thresholds.stuck_seconds
    detector.mark_normal(test.index[0], test.index[-1])
    assert not detector.is_anomaly
    assert detector.channels["target"].thresholds.stuck_seconds > before
    more = data.iloc[TRAIN + 400 : TRAIN + 430].copy()
    more["target"] = test.iloc[9, 0]
    assert not any(run(detector, more))


def test_mark_abnormal_is_recorded(data: pd.DataFrame) -> None:
    detector = fit(data)
    detector.mark_abnormal(data.index[10], data.index[5])
    period = detector.feedback.abnormal[0]
    assert period.start == data.index[5]
    assert period.end == data.index[10]


@pytest.mark.parametrize("multivariate", [False, None])
def test_state_round_trips_through_json(data: pd.DataFrame, multivariate: bool | None) -> None:
    settings = AnomalySettings(use_multivariate=multivariate)
    original = fit(data, settings)
    test = data.iloc[TRAIN : TRAIN + 300].copy()
    test.iloc[100:, 0] = test.iloc[99, 0]
    run(original, test.iloc[:200], both=True)
    restored = restore_detector(json.loads(json.dumps(original.to_dict())))
    assert isinstance(restored, SensorAnomalyDetector)
    for moment, row in test.iloc[200:].iterrows():
        values = {"target": row["target"], "humidity": row["humidity"]}
        a, b = original.update(moment, values), restored.update(moment, values)
        assert (a.score, a.is_anomaly, a.since) == pytest.approx((b.score, b.is_anomaly, b.since))


def test_gaps_and_missing_values_are_tolerated(data: pd.DataFrame) -> None:
    detector = fit(data)
    later = data.index[TRAIN] + timedelta(hours=3)
    assert detector.update(later, float("nan")).score == 0.0
    status = detector.update(later, float(data["target"].iloc[TRAIN]))
    assert not status.is_anomaly
    assert status.explanation is None


def test_fit_handles_excluded_rows_and_rejects_bad_frames(data: pd.DataFrame) -> None:
    frame = data.iloc[:TRAIN].copy()
    frame["excluded"] = False
    frame.iloc[:100, frame.columns.get_loc("excluded")] = True
    frame.iloc[:100, 0] = 500.0
    detector = fit_sensor_detector(frame, SETTINGS)
    assert detector.channels["target"].thresholds.high < 30
    with pytest.raises(ValueError, match="tz-aware"):
        fit_sensor_detector(data.iloc[:100].tz_localize(None), SETTINGS)
    everything = frame.assign(excluded=True)
    with pytest.raises(ValueError, match="no rows"):
        fit_sensor_detector(everything, SETTINGS)
    with pytest.raises(ValueError, match="sensor detector"):
        SensorAnomalyDetector.from_dict({"kind": "energy", "version": 1})
