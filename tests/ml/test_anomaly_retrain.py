"""A retrain goes on with the detector in use, or hands its online state to the new one."""

import pandas as pd
import pytest

from custom_components.foresight.ml.anomaly import (
    AnomalySettings,
    EnergyAnomalyDetector,
    SensorAnomalyDetector,
    continue_detector,
    fit_energy_detector,
    fit_sensor_detector,
    restore_detector,
)
from tests.ml.test_anomaly_support import ZONE, household, temperature

ENERGY = AnomalySettings(time_zone=ZONE)
SENSOR = AnomalySettings(use_multivariate=False)
FIRST = 4 * 168  # the first fit: four weeks
STEP = 8 * 168  # from here on a device never switches off any more
NOW = STEP + 30  # the retrain: the history has more than doubled


@pytest.fixture(scope="module")
def house() -> pd.DataFrame:
    stepped = household(weeks=10)
    stepped.iloc[STEP:, 0] += 0.45
    return stepped


def _running(house: pd.DataFrame, fitted_on: int) -> EnergyAnomalyDetector:
    """A detector fitted on the first hours, then fed up to ``NOW``."""
    detector = fit_energy_detector(house.iloc[:fitted_on], ENERGY)
    for moment, value in house["target"].iloc[fitted_on:NOW].items():
        detector.update(moment, float(value))
    return detector


def test_a_retrain_over_the_same_history_keeps_the_detector_in_use(house: pd.DataFrame) -> None:
    old = _running(house, STEP)
    assert old.is_anomaly
    new = fit_energy_detector(house.iloc[:NOW], ENERGY)
    assert continue_detector(new, old) is old


def test_a_replacing_detector_keeps_the_alarm_on(house: pd.DataFrame) -> None:
    old = _running(house, FIRST)
    assert old.is_anomaly
    since = old._gate.since

    new = fit_energy_detector(house.iloc[:NOW], ENERGY)
    assert not new.is_anomaly  # a fresh fit knows nothing of the alarm
    assert continue_detector(new, old) is new
    assert new.is_anomaly
    status = new.update(house.index[NOW], float(house["target"].iloc[NOW]))
    assert status.is_anomaly
    assert status.since == since


def test_hours_the_old_detector_kept_out_stay_out(house: pd.DataFrame) -> None:
    old = _running(house, FIRST)
    flagged = {h for h, learn in zip(old._hours, old._learn, strict=True) if not learn}
    assert flagged

    new = fit_energy_detector(house.iloc[:NOW], ENERGY)
    learnt = dict(zip(new._hours, new._learn, strict=True))
    assert any(learnt[h] for h in flagged)  # the fit alone would learn the step as normal
    continue_detector(new, old)
    learnt = dict(zip(new._hours, new._learn, strict=True))
    assert not any(learnt[h] for h in flagged)


def test_hours_scored_after_the_retrains_history_are_kept(house: pd.DataFrame) -> None:
    old = _running(house, FIRST)
    new = fit_energy_detector(house.iloc[: NOW - 3], ENERGY)
    assert continue_detector(new, old) is new
    assert list(new._hours)[-3:] == list(old._hours)[-3:]
    assert list(new._res_hours)[-1] == list(old._res_hours)[-1]


def test_energy_feedback_is_handed_over(house: pd.DataFrame) -> None:
    old = _running(house, FIRST)
    old.mark_normal(house.index[STEP], house.index[NOW - 1])
    new = fit_energy_detector(house.iloc[:NOW], ENERGY)
    marked = list(old._hours)[-30:]
    learnt = dict(zip(new._hours, new._learn, strict=True))
    assert not all(learnt[h] for h in marked)  # the fit alone keeps some of them out
    continue_detector(new, old)
    learnt = dict(zip(new._hours, new._learn, strict=True))
    assert all(learnt[h] for h in marked)


def test_the_span_counts_from_the_first_value_not_the_window(house: pd.DataFrame) -> None:
    # Home Assistant's frame covers the whole training window; a young meter's is mostly empty.
    window = house.iloc[:STEP].copy()
    window.iloc[: STEP - 2 * 168, 0] = float("nan")
    young = fit_energy_detector(window, ENERGY)
    assert young.history_hours == 2 * 168
    grown = fit_energy_detector(house.iloc[:STEP], ENERGY)
    assert continue_detector(grown, young) is grown


def test_other_settings_replace_the_detector(house: pd.DataFrame) -> None:
    old = _running(house, STEP)
    moved = AnomalySettings(time_zone="Asia/Tokyo")
    new = fit_energy_detector(house.iloc[:NOW], moved)
    assert continue_detector(new, old) is new
    assert new.is_anomaly
    assert new.settings.time_zone == "Asia/Tokyo"


def test_the_learnt_span_survives_a_restart(house: pd.DataFrame) -> None:
    old = fit_energy_detector(house.iloc[:STEP], ENERGY)
    assert old.history_hours == STEP
    restored = restore_detector(old.to_dict())
    assert restored.history_hours == STEP
    new = fit_energy_detector(house.iloc[:NOW], ENERGY)
    assert continue_detector(new, restored) is restored


def test_a_stuck_sensor_alarm_and_its_feedback_are_handed_over() -> None:
    data = temperature(hours=12)
    first, now = 6 * 720, 10 * 720  # 5-second readings: six hours, then ten
    stuck = data.iloc[now - 400 : now].copy()
    stuck.iloc[10:, 0] = stuck.iloc[9, 0]
    old = fit_sensor_detector(data.iloc[:first], SENSOR)
    for moment, value in pd.concat([data.iloc[first : now - 400], stuck])["target"].items():
        old.update(moment, float(value))
    assert old.is_anomaly

    fresh = fit_sensor_detector(pd.concat([data.iloc[: now - 400], stuck]), SENSOR)
    assert not fresh.is_anomaly
    assert continue_detector(fresh, old) is old  # ten hours against six: not yet
    empty = data.iloc[:now].assign(target=float("nan"))
    empty.iloc[-720:, 0] = data["target"].iloc[now - 720 : now]
    assert fit_sensor_detector(empty, SENSOR).history_hours == 1.0  # only the last hour
    old.history_hours /= 3  # as if fitted on a third of it
    assert continue_detector(fresh, old) is fresh
    assert fresh.is_anomaly
    assert fresh.channels["target"].run_start == old.channels["target"].run_start

    old.mark_normal(stuck.index[0], stuck.index[-1])
    accepted = old.channels["target"].thresholds.stuck_seconds
    again = fit_sensor_detector(data.iloc[:now], SENSOR)  # a history without the stuck run
    assert again.channels["target"].thresholds.stuck_seconds < accepted
    continue_detector(again, old)
    assert not again.is_anomaly
    assert again.channels["target"].thresholds.stuck_seconds == accepted


def test_detectors_of_different_kinds_are_not_mixed(house: pd.DataFrame) -> None:
    energy = fit_energy_detector(house.iloc[:STEP], ENERGY)
    sensor: SensorAnomalyDetector = fit_sensor_detector(temperature(hours=2), SENSOR)
    assert continue_detector(energy, sensor) is energy
    assert continue_detector(sensor, energy) is sensor
    assert continue_detector(energy, None) is energy
