"""A retrained detector carries on where the one it replaces stood (the daily retrain)."""

import pandas as pd
import pytest

from custom_components.foresight.ml.anomaly import (
    AnomalySettings,
    EnergyAnomalyDetector,
    SensorAnomalyDetector,
    continue_detector,
    fit_energy_detector,
    fit_sensor_detector,
)
from tests.ml.test_anomaly_support import ZONE, household, temperature

ENERGY = AnomalySettings(time_zone=ZONE)
SENSOR = AnomalySettings(use_multivariate=False)
HISTORY = 8 * 168


@pytest.fixture(scope="module")
def house() -> pd.DataFrame:
    stepped = household(weeks=10)
    stepped.iloc[HISTORY:, 0] += 0.45  # a device that never switches off any more
    return stepped


def _feed(detector: EnergyAnomalyDetector, frame: pd.DataFrame) -> None:
    for moment, value in frame["target"].items():
        detector.update(moment, float(value))


def test_an_energy_alarm_stays_on_across_a_retrain(house: pd.DataFrame) -> None:
    old = fit_energy_detector(house.iloc[:HISTORY], ENERGY)
    _feed(old, house.iloc[HISTORY : HISTORY + 30])
    assert old.is_anomaly
    since = old._gate.since

    new = fit_energy_detector(house.iloc[: HISTORY + 30], ENERGY)
    assert not new.is_anomaly  # a fresh fit knows nothing of the alarm
    assert continue_detector(new, old)
    assert new.is_anomaly
    status = new.update(house.index[HISTORY + 30], float(house["target"].iloc[HISTORY + 30]))
    assert status.is_anomaly
    assert status.since == since


def test_hours_the_old_detector_kept_out_stay_out(house: pd.DataFrame) -> None:
    old = fit_energy_detector(house.iloc[:HISTORY], ENERGY)
    _feed(old, house.iloc[HISTORY : HISTORY + 30])
    flagged = {h for h, learn in zip(old._hours, old._learn, strict=True) if not learn}
    assert flagged

    new = fit_energy_detector(house.iloc[: HISTORY + 30], ENERGY)
    learnt = dict(zip(new._hours, new._learn, strict=True))
    assert any(learnt[h] for h in flagged)  # the fit alone would learn the step as normal
    continue_detector(new, old)
    learnt = dict(zip(new._hours, new._learn, strict=True))
    assert not any(learnt[h] for h in flagged)


def test_hours_scored_after_the_retrains_history_are_kept(house: pd.DataFrame) -> None:
    old = fit_energy_detector(house.iloc[:HISTORY], ENERGY)
    _feed(old, house.iloc[HISTORY : HISTORY + 30])
    new = fit_energy_detector(house.iloc[: HISTORY + 27], ENERGY)
    continue_detector(new, old)
    assert list(new._hours)[-3:] == list(old._hours)[-3:]
    assert list(new._res_hours)[-1] == list(old._res_hours)[-1]


def test_energy_feedback_is_kept(house: pd.DataFrame) -> None:
    old = fit_energy_detector(house.iloc[:HISTORY], ENERGY)
    _feed(old, house.iloc[HISTORY : HISTORY + 30])
    old.mark_normal(house.index[HISTORY], house.index[HISTORY + 29])
    new = fit_energy_detector(house.iloc[: HISTORY + 30], ENERGY)
    continue_detector(new, old)
    assert new.feedback.normal == old.feedback.normal
    assert not new.is_anomaly
    learnt = dict(zip(new._hours, new._learn, strict=True))
    assert all(learnt[h] for h in list(old._hours)[-30:])


def test_a_stuck_sensor_alarm_and_its_feedback_survive_a_retrain() -> None:
    data = temperature(hours=6)
    train = 4 * 720
    stuck = data.iloc[train : train + 400].copy()
    stuck.iloc[10:, 0] = stuck.iloc[9, 0]
    old = fit_sensor_detector(data.iloc[:train], SENSOR)
    for moment, value in stuck["target"].items():
        old.update(moment, float(value))
    assert old.is_anomaly

    fresh = fit_sensor_detector(data.iloc[: train + 400], SENSOR)
    assert not fresh.is_anomaly
    continue_detector(fresh, old)
    assert fresh.is_anomaly
    assert fresh.channels["target"].run_start == old.channels["target"].run_start

    old.mark_normal(stuck.index[0], stuck.index[-1])
    accepted = old.channels["target"].thresholds.stuck_seconds
    again = fit_sensor_detector(data.iloc[: train + 400], SENSOR)
    assert again.channels["target"].thresholds.stuck_seconds < accepted
    continue_detector(again, old)
    assert not again.is_anomaly
    assert again.channels["target"].thresholds.stuck_seconds == accepted


def test_detectors_of_different_kinds_are_not_mixed(house: pd.DataFrame) -> None:
    energy = fit_energy_detector(house.iloc[:HISTORY], ENERGY)
    sensor: SensorAnomalyDetector = fit_sensor_detector(temperature(hours=2), SENSOR)
    assert not continue_detector(energy, sensor)
    assert not continue_detector(sensor, energy)
    assert not continue_detector(energy, None)
