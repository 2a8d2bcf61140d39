"""A sensor judged at the pace of its readings: the grid, the fit, and what it catches."""

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from custom_components.foresight.ml.anomaly import (
    AnomalyKind,
    AnomalySettings,
    SensorAnomalyDetector,
    continue_detector,
    fit_reading_detector,
    fit_sensor_detector,
    judges_readings,
    last_complete_bucket,
    readings_on_grid,
)
from custom_components.foresight.ml.watch import choose_step

# As Home Assistant fits it: an alarm needs an hour of high scores unless it is glaring.
SETTINGS = AnomalySettings(min_duration=timedelta(hours=1))
START = pd.Timestamp("2026-01-05T00:00Z")
FIVE = timedelta(minutes=5)


def _at(text: str) -> pd.Timestamp:
    return pd.Timestamp(f"2026-01-01T{text}Z")


def _room(days: float, seed: int = 5) -> pd.Series:
    """A room thermometer: checked every 30 s, recorded when its rounded value changes."""
    rng = np.random.default_rng(seed)
    moments = pd.date_range(START, periods=int(days * 2880), freq="30s")
    hours = (moments - START) / pd.Timedelta(hours=1)
    drift = np.cumsum(rng.normal(0, 0.01, len(moments)))
    values = np.round(21 + 1.5 * np.sin(2 * np.pi * hours / 24) + drift % 0.4, 1)
    changed = np.r_[True, values[1:] != values[:-1]]
    return pd.Series(values[changed], index=moments[changed])


def _hourly(readings: pd.Series) -> pd.DataFrame:
    """The hourly means Home Assistant's statistics would hold for these readings."""
    return pd.DataFrame({"target": readings.resample("1h").mean().ffill()})


def _judge(
    detector: SensorAnomalyDetector, readings: pd.Series, after: pd.Timestamp, end: pd.Timestamp
) -> list[tuple[pd.Timestamp, AnomalyKind | None, bool]]:
    """Feed the buckets after ``after`` complete by ``end``, as the integration does."""
    values = readings_on_grid(readings, detector.step, end)
    verdicts = []
    for moment, value in values[values.index > after].items():
        status = detector.update(moment, float(value))
        kind = status.explanation.kind if status.explanation else None
        verdicts.append((moment, kind, status.is_anomaly))
    return verdicts


def test_each_bucket_holds_its_readings_mean_or_the_state_carried_on() -> None:
    readings = pd.Series(
        [1.0, 3.0, 5.0, 7.0],
        index=[_at("00:01"), _at("00:03"), _at("00:12"), _at("00:31")],
    )

    grid = readings_on_grid(readings, FIVE, _at("00:40"))

    assert grid.index[0] == _at("00:00")
    assert grid.index[-1] == _at("00:35")
    assert grid.to_list() == [2.0, 3.0, 5.0, 5.0, 5.0, 5.0, 7.0, 7.0]


def test_a_state_that_is_not_a_number_ends_the_carry() -> None:
    readings = pd.Series([20.0, np.nan, 21.0], index=[_at("00:01"), _at("00:07"), _at("00:26")])

    grid = readings_on_grid(readings, FIVE, _at("00:30"))

    # The outage is unknown, not twenty minutes of an unchanged 20.
    assert grid.iloc[0] == 20.0
    assert grid.iloc[1:5].isna().all()
    assert grid.iloc[5] == 21.0


def test_only_complete_buckets_are_returned() -> None:
    readings = pd.Series([1.0, 2.0], index=[_at("00:01"), _at("00:06")])

    assert readings_on_grid(readings, FIVE, _at("00:09")).index[-1] == _at("00:00")
    assert readings_on_grid(readings, FIVE, _at("00:10")).index[-1] == _at("00:05")
    assert readings_on_grid(readings, FIVE, _at("00:04")).empty
    assert last_complete_bucket(_at("00:09").to_pydatetime(), FIVE) == _at("00:00")


def test_fewer_than_two_days_of_readings_are_refused() -> None:
    readings = _room(days=1.5)

    with pytest.raises(ValueError, match="days of readings"):
        fit_reading_detector(readings, FIVE, readings.index[-1], SETTINGS)


def test_the_range_is_the_wider_of_the_readings_and_the_hourly_year() -> None:
    readings = _room(days=4)
    year = _hourly(readings)
    year.iloc[:48, 0] += 6.0  # summer days the recorder no longer has readings of
    hourly = fit_sensor_detector(year, SETTINGS)
    hourly.history_hours = 8760.0

    alone = fit_reading_detector(readings, FIVE, readings.index[-1], SETTINGS)
    widened = fit_reading_detector(readings, FIVE, readings.index[-1], SETTINGS, hourly=hourly)

    assert judges_readings(widened)
    assert not judges_readings(hourly)
    assert alone.channels["target"].thresholds.high < 24
    assert widened.channels["target"].thresholds.high == hourly.channels["target"].thresholds.high
    assert widened.channels["target"].thresholds.low == alone.channels["target"].thresholds.low
    assert widened.history_hours == 8760.0


def test_a_sensor_that_stops_reporting_is_stuck_within_hours_not_a_day() -> None:
    readings = _room(days=5)
    fitted_until = START + pd.Timedelta(days=4)
    history = readings[readings.index < fitted_until]
    step = choose_step(pd.DataFrame({"target": history}))
    assert step == FIVE
    detector = fit_reading_detector(history, step, fitted_until, SETTINGS)
    hourly = fit_sensor_detector(_hourly(history), SETTINGS)
    # The sensor's last reading comes half an hour in; then nothing for nine hours.
    silent = readings[readings.index < fitted_until + pd.Timedelta(minutes=30)]
    end = fitted_until + pd.Timedelta(hours=9, minutes=30)

    verdicts = _judge(detector, silent, fitted_until - FIVE, end)

    alarms = [moment for moment, kind, on in verdicts if on and kind is AnomalyKind.STUCK]
    assert alarms
    assert alarms[0] - fitted_until < pd.Timedelta(hours=9)
    # Fed the hourly means of the same silence, the hourly detector needs 20 hours at least.
    hourly_values = _hourly(silent.reindex(silent.index.union([end]), method="ffill"))
    verdicts = [
        hourly.update(moment, float(value))
        for moment, value in hourly_values["target"].items()
        if moment >= fitted_until
    ]
    assert not any(status.is_anomaly for status in verdicts)


def test_an_outage_reported_as_unavailable_is_not_a_stuck_sensor() -> None:
    readings = _room(days=5)
    fitted_until = START + pd.Timedelta(days=4)
    history = readings[readings.index < fitted_until]
    detector = fit_reading_detector(history, FIVE, fitted_until, SETTINGS)
    back = fitted_until + pd.Timedelta(hours=9)
    outage = pd.concat(
        [
            readings[readings.index < fitted_until + pd.Timedelta(minutes=30)],
            pd.Series([np.nan], index=[fitted_until + pd.Timedelta(minutes=31)]),
            readings[(readings.index >= back) & (readings.index < back + pd.Timedelta(hours=1))],
        ]
    )

    verdicts = _judge(detector, outage, fitted_until - FIVE, back + pd.Timedelta(hours=1))

    assert not any(on for _, _, on in verdicts)


def test_one_absurd_reading_raises_the_alarm_in_its_bucket() -> None:
    readings = _room(days=5)
    fitted_until = START + pd.Timedelta(days=4)
    history = readings[readings.index < fitted_until]
    detector = fit_reading_detector(history, FIVE, fitted_until, SETTINGS)
    glitch = fitted_until + pd.Timedelta(hours=2, minutes=1)
    online = readings[readings.index < fitted_until + pd.Timedelta(hours=3)].copy()
    online[glitch] = 60.0
    online = online.sort_index()

    verdicts = _judge(detector, online, fitted_until - FIVE, fitted_until + pd.Timedelta(hours=3))

    first = next(moment for moment, _, on in verdicts if on)
    assert first == glitch.floor(FIVE)
    assert not any(on for moment, _, on in verdicts if moment < first)


def test_readings_replace_an_hourly_detector_and_take_over_its_alarm_only() -> None:
    readings = _room(days=5)
    fitted_until = START + pd.Timedelta(days=4)
    history = readings[readings.index < fitted_until]
    hourly = fit_sensor_detector(_hourly(history), SETTINGS)
    hourly.history_hours = 8760.0
    # The hourly detector is in an alarm (its sensor read 60 °C an hour ago).
    assert hourly.update(fitted_until - pd.Timedelta(hours=1), 60.0).is_anomaly
    judged = fit_reading_detector(history, FIVE, fitted_until, SETTINGS, hourly=hourly)
    learnt = judged.channels["target"].thresholds

    carried = continue_detector(judged, hourly)

    assert carried is judged  # same span, but the readings are what the sensor is judged on
    assert carried.is_anomaly
    # Its thresholds are its own: the hourly one's 20-hour stuck time stays at its pace.
    assert carried.channels["target"].thresholds == learnt
    assert hourly.channels["target"].thresholds.stuck_seconds > learnt.stuck_seconds


def test_a_reading_detector_in_use_is_kept_by_a_retrain_over_the_same_span() -> None:
    readings = _room(days=6)
    first_until = START + pd.Timedelta(days=4)
    second_until = START + pd.Timedelta(days=5)
    year = fit_sensor_detector(_hourly(readings[readings.index < first_until]), SETTINGS)
    year.history_hours = 8760.0
    first = fit_reading_detector(
        readings[readings.index < first_until], FIVE, first_until, SETTINGS, hourly=year
    )
    second = fit_reading_detector(
        readings[readings.index < second_until], FIVE, second_until, SETTINGS, hourly=year
    )

    assert continue_detector(second, first) is first
