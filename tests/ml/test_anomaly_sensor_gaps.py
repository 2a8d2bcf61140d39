"""Sensor detector across gaps: no learnt window and no online window spans a long pause."""

from dataclasses import asdict
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from custom_components.foresight.ml.anomaly import (
    AnomalyKind,
    AnomalySettings,
    AnomalyStatus,
    SensorAnomalyDetector,
    fit_sensor_detector,
)
from custom_components.foresight.ml.anomaly.channel import learn_channel
from tests.ml.test_anomaly_support import temperature

SETTINGS = AnomalySettings(use_multivariate=False)


def with_outage(level_change: float, *, gap: timedelta = timedelta(hours=1)) -> pd.DataFrame:
    """Three hours of a 5-second reading, an outage, then one more hour.

    Heavy-tailed noise, so the learnt deviation threshold is above its floor. After the
    outage the reading sits ``level_change`` higher (say, the sensor was moved).
    """
    rng = np.random.default_rng(3)
    values = 21.0 + 0.05 * rng.standard_t(4, 4 * 720)
    values[3 * 720 :] += level_change
    index = pd.date_range("2025-03-01", periods=4 * 720, freq="5s", tz="UTC")
    index = index.where(np.arange(index.size) < 3 * 720, index + gap)
    return pd.DataFrame({"target": values}, index=index)


def feed(detector: SensorAnomalyDetector, readings: pd.Series) -> list[AnomalyStatus]:
    index = pd.DatetimeIndex(readings.index).to_pydatetime()
    return [detector.update(t, float(v)) for t, v in zip(index, readings, strict=True)]


def test_level_change_across_an_outage_learns_the_usual_deviation_threshold() -> None:
    usual = fit_sensor_detector(with_outage(0.0, gap=timedelta(0)), SETTINGS)
    moved = fit_sensor_detector(with_outage(5.0), SETTINGS)
    expected, learnt = usual.channels["target"].thresholds, moved.channels["target"].thresholds
    assert expected.deviation_z > 5.0
    assert learnt.deviation_z == pytest.approx(expected.deviation_z, rel=0.15)
    assert learnt.jump == pytest.approx(expected.jump, rel=0.15)


def test_drift_after_an_outage_is_still_flagged() -> None:
    history = with_outage(5.0)
    detector = fit_sensor_detector(history.iloc[:-360], SETTINGS)
    test = history.iloc[-360:].copy()
    test.iloc[120:, 0] -= np.minimum(np.arange(240) * 0.08, 2.0)  # down 2 degrees in 2 minutes
    statuses = feed(detector, test["target"])
    assert not any(s.is_anomaly for s in statuses[:120])
    flagged = [i for i, s in enumerate(statuses) if s.is_anomaly]
    assert flagged
    assert flagged[0] < 120 + 90
    explanation = statuses[-1].explanation
    assert explanation is not None
    assert explanation.kind is AnomalyKind.DEVIATION


def test_online_window_starts_afresh_after_an_outage() -> None:
    history = with_outage(5.0)
    detector = fit_sensor_detector(history, SETTINGS)
    # Another outage, after which the reading is back between the two levels.
    later = with_outage(2.5).iloc[3 * 720 : 3 * 720 + 100]  # 100 readings, window 120
    later = later.set_axis(later.index - later.index[0] + history.index[-1] + timedelta(hours=1))
    statuses = feed(detector, later["target"])
    assert not any(s.is_anomaly for s in statuses)
    assert list(detector.channels["target"].recent) == later["target"].tolist()


def test_history_ending_after_an_outage_primes_only_the_readings_since() -> None:
    history = with_outage(5.0).iloc[: 3 * 720 + 20]
    detector = fit_sensor_detector(history, SETTINGS)
    assert list(detector.channels["target"].recent) == history["target"].iloc[-20:].tolist()


# Thresholds learnt before gaps were taken into account (commit 32f5896), as float.hex:
# without a pause longer than GAP_STEPS intervals nothing may change.
BEFORE_DETECTOR = {
    "target": {
        "low": "0x1.4170a3d70a3d6p+4",
        "high": "0x1.5e42656abde40p+4",
        "center": "0x1.5000000000000p+4",
        "scale": "0x1.a917507e9d93cp-1",
        "deviation_z": "0x1.0000000000000p+2",
        "deviation_floor": "0x1.6c5d206c86f19p-5",
        "jump": "0x1.15e0f7fcfc3e6p-2",
        "stuck_seconds": "0x1.9000000000000p+6",
    },
    "humidity": {
        "low": "0x1.519999999999ap+5",
        "high": "0x1.7e66666666666p+5",
        "center": "0x1.6800000000000p+5",
        "scale": "0x1.429d1f6017986p+1",
        "deviation_z": "0x1.030123be1bf59p+2",
        "deviation_floor": "0x1.2fa2f05a7093ap-3",
        "jump": "0x1.1999999999997p+0",
        "stuck_seconds": "0x1.9000000000000p+6",
    },
}


def test_history_without_gaps_learns_exactly_as_before() -> None:
    history = temperature(hours=4)
    detector = fit_sensor_detector(history, SETTINGS)
    for name, expected in BEFORE_DETECTOR.items():
        channel = detector.channels[name]
        learnt = {k: float(v).hex() for k, v in asdict(channel.thresholds).items()}
        assert learnt == expected, name
        assert list(channel.recent) == history[name].iloc[-channel.window :].tolist()


def heavy_tailed(seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Minute readings with heavy-tailed noise, missing values and pauses of up to 4 steps."""
    rng = np.random.default_rng(seed)
    seconds = np.arange(3000) * 60.0
    seconds = np.delete(seconds, rng.choice(3000, 200, replace=False))  # pauses of a few steps
    values = 10.0 + np.cumsum(rng.normal(0.0, 0.02, seconds.size)) + rng.standard_t(3, seconds.size)
    values[rng.choice(seconds.size, 50, replace=False)] = np.nan
    return values, seconds


BEFORE_HEAVY_TAILED = {
    "low": "-0x1.b4a37062a4e40p+0",
    "high": "0x1.27f78a8f690fcp+4",
    "center": "0x1.21a0400f186aap+3",
    "scale": "0x1.2f0df28030819p+0",
    "deviation_z": "0x1.5edc03cc4ebd8p+3",
    "deviation_floor": "0x1.09b0b8f8fcf94p+0",
    "jump": "0x1.06a3271c7a758p+4",
    "stuck_seconds": "0x1.2c00000000000p+10",
}


def test_short_pauses_learn_exactly_as_before() -> None:
    values, seconds = heavy_tailed()
    learnt = {k: float(v).hex() for k, v in asdict(learn_channel(values, seconds, 60.0)).items()}
    assert learnt == BEFORE_HEAVY_TAILED


def test_unchanged_readings_across_an_outage_are_two_runs() -> None:
    # Half an hour at a set point, a day without readings, half an hour more at the same value.
    history = with_outage(0.0, gap=timedelta(days=1))
    history.iloc[3 * 720 - 360 : 3 * 720 + 360, 0] = 20.0
    detector = fit_sensor_detector(history.iloc[: 3 * 720 + 360], SETTINGS)
    channel = detector.channels["target"]
    assert channel.thresholds.stuck_seconds == pytest.approx(3 * 1800.0)
    assert channel.run_start == history.index[3 * 720]
