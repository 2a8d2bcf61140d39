"""Energy detector against external (forecast) bands, and the online band replay."""

from dataclasses import dataclass
import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench import anomaly
from custom_components.foresight.ml.anomaly import (
    AnomalyKind,
    AnomalySettings,
    Expectation,
    fit_energy_detector,
    restore_detector,
)
from custom_components.foresight.ml.anomaly.energy import span
from custom_components.foresight.ml.anomaly.expected import (
    RollingExpectations,
    RollingPlan,
    expectation_at,
    rolling_expectations,
)
from custom_components.foresight.ml.forecast import ForecastSettings, train_forecaster
from tests.ml.test_anomaly_support import DAY_SHAPE, ZONE, household

SETTINGS = AnomalySettings(time_zone=ZONE)


@dataclass(frozen=True, slots=True)
class FakeForecast:
    timestamps: pd.DatetimeIndex
    p10: np.ndarray
    p50: np.ndarray
    p90: np.ndarray


class RecordingForecaster:
    """Forecasts the mean of the learnable history; records what it was given."""

    def __init__(self, trained_on: pd.DataFrame, log: list[tuple[str, pd.Timestamp, object]]):
        self.trained_on = trained_on
        self.log = log

    def predict(
        self,
        history: pd.DataFrame,
        issue_time: pd.Timestamp,
        future_features: pd.DataFrame | None = None,
        hours: int | None = None,
    ) -> FakeForecast:
        self.log.append(("predict", issue_time, history))
        count = hours or 24
        keep = ~history["excluded"] if "excluded" in history else np.ones(len(history), bool)
        level = float(history["target"][keep].mean())
        stamps = pd.date_range(issue_time.ceil("h"), periods=count, freq="h")
        flat = np.full(count, level)
        return FakeForecast(stamps, flat - 0.1, flat, flat + 0.1)


def recording_trainer(
    log: list[tuple[str, pd.Timestamp, object]],
):
    def train(rows: pd.DataFrame) -> RecordingForecaster:
        log.append(("train", rows.index[-1], rows))
        return RecordingForecaster(rows, log)

    return train


def shape_bands(index: pd.DatetimeIndex) -> pd.DataFrame:
    """The synthetic household's true expectation per hour (a perfect forecast)."""
    hour = np.asarray(index.tz_convert(ZONE).hour)
    median = 0.3 + DAY_SHAPE[hour]
    return pd.DataFrame(
        {
            "p10": median - 0.3 * DAY_SHAPE[hour] - 0.02,
            "p50": median,
            "p90": median + 0.4 * DAY_SHAPE[hour] + 0.02,
        },
        index=index,
    )


def test_rolling_bands_use_only_rows_before_each_issue_time() -> None:
    frame = household(weeks=6, start="2025-09-29")
    log: list[tuple[str, pd.Timestamp, object]] = []
    start, end = frame.index[3 * 168], frame.index[-1] + pd.Timedelta(hours=1)
    plan = RollingPlan(time_zone=ZONE, refit_every=pd.Timedelta(days=7))
    bands = rolling_expectations(frame, start, end, recording_trainer(log), plan)

    # every hour wanted has a band, including the 25-hour day of the DST change (26 Oct)
    assert bands.index.equals(frame.index[3 * 168 :])
    issues = [moment for kind, moment, _ in log if kind == "predict"]
    for kind, moment, rows in log:
        assert isinstance(rows, pd.DataFrame)
        if kind == "predict":
            assert rows.index[-1] < moment  # nothing at or after the issue time
            assert moment.tz_convert(ZONE).hour == 0  # issued at local midnight
    # retrained weekly, each time on the rows before the retraining: a training serves the
    # forecast issued right after it, so its rows end before that issue time
    trainings = [number for number, (kind, _, _) in enumerate(log) if kind == "train"]
    for number in trainings:
        next_kind, issue, _ = log[number + 1]
        assert next_kind == "predict"
        assert log[number][1] < issue
    trained_at = [log[number + 1][1] for number in trainings]
    assert len(trained_at) == 4
    gaps = [later - earlier for earlier, later in itertools.pairwise(trained_at)]
    week = pd.Timedelta(days=7)
    assert all(week <= gap <= week + pd.Timedelta(hours=1) for gap in gaps)  # 169 h over DST
    # the first local day's band is the mean of the history before it
    first_day = frame[frame.index < issues[0]]
    assert bands["p50"].iloc[0] == pytest.approx(first_day["target"].iloc[-35 * 24 :].mean())


def test_rolling_expectations_honour_excluded_hours() -> None:
    frame = household(weeks=4).assign(excluded=False)
    log: list[tuple[str, pd.Timestamp, object]] = []
    rolling = RollingExpectations(recording_trainer(log), RollingPlan(time_zone=ZONE))
    moment = frame.index[3 * 168 + 5]
    plain = rolling.band(frame, moment)
    assert plain is not None
    # a huge hour the day before moves the forecast, unless it is flagged as excluded
    frame.loc[frame.index[3 * 168 - 5], "target"] = 50.0
    moved = RollingExpectations(recording_trainer(log), RollingPlan(time_zone=ZONE))
    band = moved.band(frame, moment)
    assert band is not None
    assert band.p50 > plain.p50 + 0.03
    frame.loc[frame.index[3 * 168 - 5], "excluded"] = True
    again = RollingExpectations(recording_trainer(log), RollingPlan(time_zone=ZONE))
    band = again.band(frame, moment)
    assert band is not None
    assert band.p50 == pytest.approx(plain.p50, abs=0.005)
    # the same day is forecast once, whatever hour is asked for
    predictions = sum(1 for kind, _, _ in log if kind == "predict")
    again.band(frame, moment + pd.Timedelta(hours=3))
    assert sum(1 for kind, _, _ in log if kind == "predict") == predictions


def test_no_band_before_two_weeks_of_history() -> None:
    frame = household(weeks=3)
    plan = RollingPlan(time_zone=ZONE)
    log: list[tuple[str, pd.Timestamp, object]] = []
    bands = rolling_expectations(
        frame, frame.index[0], frame.index[-1], recording_trainer(log), plan
    )
    assert bands.index[0] - frame.index[0] >= pd.Timedelta(days=14)
    assert expectation_at(bands, frame.index[0]) is None
    assert expectation_at(bands, bands.index[5]) == Expectation(*bands.iloc[5].tolist())


def test_detector_calibrated_on_external_bands_catches_a_stuck_appliance() -> None:
    data = household(weeks=10)
    train, online = data.iloc[: 8 * 168], data.iloc[8 * 168 :].copy()
    bands = shape_bands(pd.DatetimeIndex(data.index))
    detector = fit_energy_detector(train, SETTINGS, expected=bands[bands.index < online.index[0]])
    assert detector.thresholds.external
    # an appliance left on for six hours in the early afternoon of the second online day
    stuck = online.index[24 + 11 : 24 + 17]
    online.loc[stuck, "target"] += 1.0
    verdicts = [
        detector.update(moment, float(value), expectation_at(bands, moment))
        for moment, value in online["target"].items()
    ]
    flagged = [v for v in verdicts if v.is_anomaly]
    assert any(v.timestamp in stuck for v in flagged)
    kinds = {v.explanation.kind for v in flagged if v.explanation is not None}
    assert kinds & {AnomalyKind.SUSTAINED_HIGH, AnomalyKind.SPIKE}
    # the rest of the two weeks (after the alarm has drained) stays about as quiet as the
    # thresholds were learnt for: the point test alone is set to about one alarm in two weeks
    # per side over the history (energy_fit.POINT_BUDGET), so allow a few in these 11 days
    later = [v.is_anomaly for v in verdicts if v.timestamp > stuck[-1] + pd.Timedelta(hours=12)]
    assert sum(1 for a, b in itertools.pairwise([False, *later]) if b and not a) <= 3


def test_external_calibration_persists_and_validates() -> None:
    data = household(weeks=6)
    bands = shape_bands(pd.DatetimeIndex(data.index))
    detector = fit_energy_detector(data, SETTINGS, expected=bands, own_weight=0.5)
    restored = restore_detector(json.loads(json.dumps(detector.to_dict())))
    assert restored.thresholds == detector.thresholds
    assert restored.thresholds.own_weight == 0.5
    moment, value = data.index[-1] + pd.Timedelta(hours=1), 0.3
    band = Expectation(0.2, 0.3, 0.4)
    assert restored.update(moment, value, band).score == detector.update(moment, value, band).score
    with pytest.raises(ValueError, match="own_weight"):
        fit_energy_detector(data, SETTINGS, expected=bands, own_weight=1.5)
    with pytest.raises(ValueError, match="cover fewer"):
        fit_energy_detector(data, SETTINGS, expected=bands.iloc[:100])


def test_real_forecaster_gives_finite_ordered_bands() -> None:
    frame = household(weeks=5)
    settings = ForecastSettings(time_zone=ZONE, engine="numpy")
    start = frame.index[-24]
    bands = rolling_expectations(
        frame,
        start,
        start + pd.Timedelta(hours=24),
        lambda rows: train_forecaster(rows, settings),
        RollingPlan(time_zone=ZONE),
    )
    assert len(bands) == 24
    assert np.isfinite(bands.to_numpy()).all()
    assert (bands["p10"] <= bands["p50"]).all()
    assert (bands["p50"] <= bands["p90"]).all()


def test_span_judges_by_the_distance_outside_both_medians() -> None:
    forecast, own = Expectation(0.8, 1.0, 1.3), Expectation(1.5, 2.0, 2.6)
    assert span(forecast, own, 1.6).p50 == 1.6  # between both: not off at all
    assert span(forecast, own, 3.0) == Expectation(0.8, 2.0, 2.6)  # the union of both bands
    assert span(forecast, own, 0.2).p50 == 1.0
    data = household(weeks=6)
    bands = shape_bands(pd.DatetimeIndex(data.index))
    detector = fit_energy_detector(data, SETTINGS, expected=bands, span=True)
    assert detector.thresholds.span
    restored = restore_detector(json.loads(json.dumps(detector.to_dict())))
    assert restored.thresholds == detector.thresholds
    # a night-time spike is far outside both the forecast and the own profile
    night = data.index[-1] + pd.Timedelta(hours=1)
    while night.tz_convert(ZONE).hour != 3:
        night += pd.Timedelta(hours=1)
    status = detector.update(night, 4.0, expectation_at(bands.reindex([night]), night))
    assert status.score >= SETTINGS.instant_score


def test_energy_benchmark_with_forecast_bands(tmp_path: Path) -> None:
    frame = household(weeks=6)
    csv = tmp_path / "load.csv"
    pd.DataFrame(
        {"time": [t.isoformat() for t in frame.index], "kwh": frame["target"].to_numpy()}
    ).to_csv(csv, index=False)
    out = tmp_path / "out.csv"
    argv = ["--csv", str(csv), "--timestamp-col", "time", "--value-col", "kwh"]
    argv += ["--train-until", frame.index[5 * 168].isoformat(), "--out", str(out)]
    argv += ["--time-zone", ZONE, "--expected", "both"]
    assert anomaly.main(argv) == 0
    result = pd.read_csv(out)
    assert list(result.columns) == ["timestamp", "score", "is_anomaly"]
    assert len(result) == 168
    assert result["score"].between(0, 1).all()
    assert result["is_anomaly"].sum() <= 24  # a clean week is mostly quiet
