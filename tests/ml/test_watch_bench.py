"""The threshold benchmark command runs end to end, and its scoring counts what it should."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench import threshold as bench_threshold, threshold_data
from bench.threshold_data import Case

from .watch_synthetic import battery


def _write(path: Path, frame: pd.DataFrame, *, naive_zone: str | None) -> None:
    stamps = frame.index.tz_convert(naive_zone).tz_localize(None) if naive_zone else frame.index
    pd.DataFrame(
        {"time": [stamp.isoformat() for stamp in stamps], "level": frame["target"].to_numpy()}
    ).to_csv(path, index=False)


@pytest.mark.parametrize("naive_zone", [None, "Europe/Berlin"])
def test_command_line_writes_one_row_per_online_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], naive_zone: str | None
) -> None:
    frame = battery(6, seed=2)
    path, out = tmp_path / "battery.csv", tmp_path / "out" / "threshold.csv"
    _write(path, frame, naive_zone=naive_zone)
    start = frame.index[-30]
    argv = [
        *("--csv", str(path), "--timestamp-col", "time", "--value-col", "level"),
        *("--limit", "40", "--direction", "below", "--horizon-hours", "12"),
        *("--train-until", start.isoformat(), "--out", str(out), "--refit-hours", "12"),
        *("--time-zone", naive_zone or "UTC"),
    ]
    assert bench_threshold.main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["rows"] == 30
    assert summary["refits"] == 3
    assert summary["step_minutes"] == 60
    written = pd.read_csv(out)
    assert list(written.columns) == ["timestamp", "p_cross", "is_warning", "eta_p50_hours"]
    assert len(written) == 30
    assert pd.Timestamp(written["timestamp"].iloc[0]) == start
    assert written["p_cross"].between(0, 1).all()
    assert set(written["is_warning"].unique()) <= {True, False}
    assert summary["warning_rows"] == int(written["is_warning"].sum())
    # A warning row has at least the warning probability.
    assert (written.loc[written["is_warning"], "p_cross"] >= 0.5).all()


def test_rows_without_recent_data_get_no_probability(tmp_path: Path) -> None:
    frame = battery(5, seed=4)
    gap = (frame.index > frame.index[-20]) & (frame.index < frame.index[-5])
    frame = frame[~gap]
    watch = bench_threshold.WatchSettings(time_zone="UTC", horizon_hours=6)
    threshold = bench_threshold.ThresholdSettings(40.0, "below", 6.0)
    out, summary = bench_threshold.run_online(
        frame, watch, threshold, frame.index[-8], pd.Timedelta(hours=24)
    )
    assert summary["refits"] == 1
    assert out["p_cross"].isna().sum() >= 1  # more than six hours after the last reading
    assert out["p_cross"].notna().sum() >= 1


def test_command_line_requires_its_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        bench_threshold.main(["--csv", "x.csv"])
    assert "required" in capsys.readouterr().err


def test_scoring_counts_warned_crossings_and_false_warnings(tmp_path: Path) -> None:
    stamps = pd.date_range("2026-01-01", periods=48, freq="h", tz="UTC")
    values = np.full(48, 10.0)
    values[10:14] = -1.0  # crossing at 10:00
    values[30:32] = -2.0  # crossing at 30:00
    series = pd.Series(values, index=stamps)
    warn = np.zeros(48, dtype=bool)
    warn[6:10] = True  # warned 4 h ahead of the first crossing
    warn[40:42] = True  # a false warning
    p_cross = np.where(warn, 0.8, 0.05)
    out = tmp_path / "out.csv"
    pd.DataFrame(
        {"timestamp": stamps, "p_cross": p_cross, "is_warning": warn, "eta_p50_hours": None}
    ).to_csv(out, index=False)
    case = Case("t", lambda: None, 0.0, "below", 6.0, "2026-01-01")  # type: ignore[arg-type,return-value]
    scores = threshold_data.score(out, series, case, stamps[0])
    assert scores["crossings"] == 2
    assert scores["warned"] == 1
    assert scores["median_lead_hours"] == 4.0
    assert scores["warning_episodes"] == 2
    assert scores["false_warning_episodes"] == 1
    assert 0 < scores["share_safe_rows_crossing_within_horizon"] < 1
    assert scores["brier"] > 0
    assert scores["brier_base_rate"] > 0
    assert scores["eta_rows"] == 0
    assert scores["eta_p50_median_abs_error_hours"] is None


def test_flapping_around_the_limit_is_one_crossing() -> None:
    stamps = pd.date_range("2026-01-01", periods=12, freq="10min", tz="UTC")
    values = np.array([5.0] * 7 + [11, 9, 11, 9, 9])
    events = threshold_data.crossings(stamps, values, 10.0, "above")
    assert events == [stamps[7]]  # the second touch, 20 minutes later, is the same event
    hourly = pd.date_range("2026-01-01", periods=6, freq="h", tz="UTC")
    again = threshold_data.crossings(hourly, np.array([5.0, 11, 9, 9, 11, 9]), 10.0, "above")
    assert again == [hourly[1], hourly[4]]
    assert threshold_data.crossings(hourly, np.array([11.0, 11, 9, 9, 9, 9]), 10.0, "above") == []
