"""Decision gate, settings, explanations and small helpers of the anomaly package."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from custom_components.foresight.ml.anomaly import (
    AnomalyKind,
    AnomalySettings,
    AnomalyStatus,
    Explanation,
    explain_text,
)
from custom_components.foresight.ml.anomaly.calibration import tail_threshold, threshold_for_budget
from custom_components.foresight.ml.anomaly.explain import format_duration, format_value
from custom_components.foresight.ml.anomaly.gate import DecisionGate
from custom_components.foresight.ml.anomaly.periods import Feedback
from custom_components.foresight.ml.anomaly.robust import (
    evidence_to_score,
    nan_quantile_rows,
    robust_scale,
)
from custom_components.foresight.ml.anomaly.settings import settings_from_dict, settings_to_dict

T0 = datetime(2025, 3, 4, 13, 0, tzinfo=UTC)  # a Tuesday, 14:00 in Berlin
STEP = timedelta(seconds=5)


def gate(**overrides: object) -> DecisionGate:
    options: dict[str, object] = {
        "on_score": 0.5,
        "off_score": 0.3,
        "instant_score": 0.95,
        "min_duration": timedelta(minutes=1),
        "clear_after": timedelta(minutes=2),
    }
    options.update(overrides)
    return DecisionGate(**options)  # type: ignore[arg-type]


def feed(g: DecisionGate, scores: list[float], start: datetime = T0) -> list[bool]:
    return [g.update(start + i * STEP, s, STEP) for i, s in enumerate(scores)]


def test_one_high_reading_does_not_switch_on() -> None:
    assert not any(feed(gate(), [0.1, 0.8, 0.1, 0.8, 0.1]))


def test_sustained_high_switches_on_after_min_duration() -> None:
    flags = feed(gate(), [0.7] * 15)
    assert flags.index(True) == 11  # 12 readings of 5 s cover one minute
    assert all(flags[11:])


def test_one_low_reading_does_not_switch_off_and_hysteresis_holds() -> None:
    g = gate(instant_score=0.6)
    flags = feed(g, [0.7, 0.1, 0.4, 0.4, 0.1, 0.7])
    assert flags == [True] * 6  # 0.4 is above the off score: the alarm holds
    assert g.since == T0


def test_switches_off_after_clear_after_of_calm() -> None:
    g = gate(instant_score=0.6)
    flags = feed(g, [0.7] + [0.0] * 30)
    assert flags.index(False) == 24  # 24 readings of 5 s cover two minutes
    assert g.since is None


def test_onset_dates_the_alarm_back_and_state_round_trips() -> None:
    g = gate(instant_score=0.6)
    onset = T0 - timedelta(hours=5)
    g.update(T0, 0.9, STEP, onset)
    assert g.since == onset
    copy = gate(instant_score=0.6)
    copy.restore(g.to_dict())
    assert (copy.active, copy.since) == (True, onset)


def test_evidence_with_an_onset_has_covered_the_minimum_duration_since_then() -> None:
    # A run of unchanged readings scores high only once it is long: no wait on top of it.
    with_onset = gate()
    assert with_onset.update(T0, 0.7, STEP, T0 - timedelta(minutes=2))
    assert with_onset.since == T0 - timedelta(minutes=2)
    # A fresh onset still needs the minimum duration.
    fresh = gate()
    assert not fresh.update(T0, 0.7, STEP, T0)


def test_settings_sensitivity_and_validation() -> None:
    assert AnomalySettings().margin == pytest.approx(1.0)
    assert AnomalySettings(sensitivity="high").margin == pytest.approx(2**-0.5)
    assert AnomalySettings(sensitivity="high").margin < 1 < AnomalySettings("low").margin
    assert AnomalySettings(sensitivity=1.0).margin == pytest.approx(0.5)
    with pytest.raises(ValueError, match="off_score"):
        AnomalySettings(on_score=0.2, off_score=0.4)
    with pytest.raises(ValueError, match="negative"):
        AnomalySettings(min_duration=timedelta(seconds=-1))
    with pytest.raises(ValueError, match="history_weeks"):
        AnomalySettings(history_weeks=1)
    with pytest.raises(ValueError, match="unknown sensitivity"):
        AnomalySettings(sensitivity="extreme")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        AnomalySettings(sensitivity=2.0)
    with pytest.raises(Exception, match="Nowhere"):
        AnomalySettings(time_zone="Nowhere/Atlantis")
    settings = AnomalySettings(sensitivity=0.7, time_zone="Europe/Berlin")
    assert settings_from_dict(settings_to_dict(settings)) == settings


def explanation(kind: AnomalyKind, **fields: object) -> Explanation:
    values: dict[str, object] = {
        "kind": kind,
        "since": T0 - timedelta(hours=6),
        "timestamp": T0,
        "expected": 0.8,
        "actual": 2.1,
        "unusualness": 2.5,
    }
    values.update(fields)
    return Explanation(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "fields", "expected"),
    [
        (AnomalyKind.SPIKE, {"ratio": 2.6}, "2.10 kW, 2.6x the usual for a Tuesday 14:00"),
        (AnomalyKind.SPIKE, {"ratio": 1.2}, "2.10 kW where about 0.80 kW is usual"),
        (AnomalyKind.DROP, {"actual": 0.0}, "0.00 kW where about 0.80 kW is usual"),
        (
            AnomalyKind.SUSTAINED_HIGH,
            {"delta": 1.3, "duration": timedelta(hours=6)},
            "load +1.30 kW compared with the usual since Tuesday 08:00 (6 h)",
        ),
        (
            AnomalyKind.BASE_LOAD,
            {"delta": 0.45, "since": datetime(2025, 3, 4, 2, tzinfo=UTC)},
            "base load +0.45 kW since Tuesday 03:00 (usually 0.80 kW)",
        ),
        (
            AnomalyKind.STUCK,
            {"duration": timedelta(hours=6), "actual": 21.5},
            "value unchanged at 21.5 kW for 6 h",
        ),
        (AnomalyKind.JUMP, {"previous": 21.5, "actual": 48.0}, "jumped from 21.5 kW to 48.0 kW"),
        (AnomalyKind.OUT_OF_RANGE, {"low": 18.0, "high": 25.0}, "outside the usual range 18.0"),
        (AnomalyKind.DEVIATION, {}, "recent behaviour suggests about 0.80 kW"),
        (AnomalyKind.MULTIVARIATE, {"channel": "humidity"}, "humidity: an unusual combination"),
    ],
)
def test_texts(kind: AnomalyKind, fields: dict[str, object], expected: str) -> None:
    text = explain_text(explanation(kind, **fields), unit="kW", time_zone="Europe/Berlin")
    assert expected in text
    assert text.endswith("2.5x the alarm threshold.")


def test_status_describe_and_formatting() -> None:
    quiet = AnomalyStatus(T0, 0.1, is_anomaly=False, since=None, explanation=None)
    assert quiet.describe() == "Nothing unusual."
    assert format_value(1234.5, "W") == "1234 W"
    assert format_value(12.34) == "12.3"
    assert format_duration(timedelta(days=3)) == "3.0 days"
    assert format_duration(timedelta(minutes=5)) == "5 min"
    assert format_duration(timedelta(seconds=40)) == "40 s"
    unknown = explanation(AnomalyKind.JUMP, previous=None, actual=None, expected=None)
    assert "jumped from ? to no value" in explain_text(unknown)


def test_robust_helpers() -> None:
    table = np.array([[1.0, 2.0, np.nan], [np.nan, np.nan, np.nan]])
    assert nan_quantile_rows(table, 0.5)[0] == pytest.approx(1.5)
    assert np.isnan(nan_quantile_rows(table, 0.5)[1])
    assert robust_scale(np.array([1.0, 1.0, 1.0, 5.0])) == pytest.approx(1.0 / 1.349)
    assert robust_scale(np.array([1.0, 2.0, 3.0])) == pytest.approx(1.4826)
    assert robust_scale(np.array([2.0, 2.0])) == 0.0
    assert np.isnan(robust_scale(np.array([np.nan])))
    assert evidence_to_score(1.0) == pytest.approx(0.5)
    assert evidence_to_score(0.0) == 0.0
    assert evidence_to_score(1e9) == pytest.approx(1.0)


def test_budget_threshold_counts_episodes_not_readings() -> None:
    path = np.zeros(1000)
    path[100:400] = 5.0  # one long episode
    path[600] = 3.0
    path[800] = 2.0
    assert 3.0 < threshold_for_budget(path, episodes=1, minimum=0.0) <= 5.0
    assert 2.0 <= threshold_for_budget(path, episodes=2, minimum=0.0) <= 3.0
    assert threshold_for_budget(path, episodes=3, minimum=0.0) <= 2.0
    assert threshold_for_budget(np.full(5, np.nan), episodes=1, minimum=0.7) == 0.7
    assert threshold_for_budget(path, episodes=-1, minimum=0.0) > 5.0
    rng = np.random.default_rng(0)
    tail = rng.exponential(1.0, 20000)
    level = float(np.quantile(tail, 0.99))
    assert tail_threshold(tail / level, 1e-4) * level == pytest.approx(np.log(1e4), rel=0.1)
    assert tail_threshold(np.zeros(10), 0.01) == 1.0


def test_feedback_round_trip_and_queries() -> None:
    feedback = Feedback()
    feedback.add(pd.Timestamp("2025-03-04 10:00", tz="UTC"), T0, normal=True)
    feedback.add(T0, T0 + timedelta(hours=1), normal=False)
    copy = Feedback.from_dict(feedback.to_dict())
    assert copy == feedback
    assert copy.is_normal(T0 - timedelta(hours=1))
    assert copy.is_abnormal(T0 + timedelta(minutes=30))
    assert not copy.is_abnormal(T0 + timedelta(hours=2))
    assert copy.normal[0].overlaps(T0, T0 + timedelta(hours=3))
