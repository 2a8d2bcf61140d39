"""The benchmark's CSV loading, protocol and command line, the synthetic home, engine odds."""

from __future__ import annotations

from contextlib import nullcontext
import importlib.util
import itertools
import json
from pathlib import Path
import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest

from bench import forecast as bench_forecast
from bench.datasets import hourly_from_minutes
from custom_components.foresight.ml.forecast import Forecast, Forecaster, ForecastSettings
from custom_components.foresight.ml.forecast.engines import create_engine, sklearn_available
from custom_components.foresight.ml.forecast.features import make_layout
from custom_components.foresight.ml.synthetic import synthetic_home

from .matrices import calendar_columns


def test_synthetic_home_is_seeded_and_follows_the_frame_convention() -> None:
    first = synthetic_home(20, seed=4)
    assert first.equals(synthetic_home(20, seed=4))
    assert not first.equals(synthetic_home(20, seed=5))
    assert str(first.index.tz) == "UTC"
    assert list(first.columns) == ["target", "outdoor_temp", "occupancy"]
    assert len(first) < 20 * 24  # outages are missing rows
    assert (first["target"] > 0).all()
    hours = first.index.tz_convert("Europe/Berlin").hour
    evening = first["target"][(hours >= 18) & (hours <= 21)].mean()
    night = first["target"][(hours >= 1) & (hours <= 4)].mean()
    assert evening > 1.5 * night


def test_synthetic_home_heats_more_when_cold() -> None:
    frame = synthetic_home(200, seed=2, gap_fraction=0.0)
    cold = frame["target"][frame["outdoor_temp"] < 2].mean()
    warm = frame["target"][frame["outdoor_temp"] > 16].mean()
    assert cold > warm + 0.5


def test_find_spec_errors_count_as_sklearn_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(name: str) -> None:
        raise ValueError(name)

    monkeypatch.setattr(importlib.util, "find_spec", broken)
    assert not sklearn_available()


def test_numpy_engine_encodes_season_and_unknown_groups() -> None:
    rng = np.random.default_rng(0)
    layout = make_layout(("temp",), with_holidays=True, with_season=True)
    rows = 24 * 60
    hour = np.arange(rows) % 24
    angle = np.linspace(0, 2 * np.pi, rows)
    columns = {
        **calendar_columns(hour, (np.arange(rows) // 24) % 7, angle),
        "holiday_hour": np.where(np.arange(rows) // 24 == 5, hour, -1),
        "temp:now": rng.normal(10, 5, rows),
        "temp:mean_24h": rng.normal(10, 2, rows),
    }
    matrix = np.column_stack([columns.get(name, rng.random(rows)) for name in layout.names])
    target = (
        2 + np.sin(angle) + 0.5 * np.maximum(8 - columns["temp:now"], 0) + rng.normal(0, 0.1, rows)
    )
    engine = create_engine("numpy")
    engine.fit(matrix, target, layout)
    explained = engine.explain(matrix)
    assert np.corrcoef(explained.contributions["season"], np.sin(angle))[0, 1] > 0.9
    assert (
        np.corrcoef(explained.contributions["temp"], np.maximum(8 - columns["temp:now"], 0))[0, 1]
        > 0.9
    )
    assert np.mean(np.abs(explained.p50 - target)) < 0.2


def write_csv(path: Path, frame: pd.DataFrame, *, naive_zone: str | None) -> None:
    stamps = frame.index.tz_convert(naive_zone).tz_localize(None) if naive_zone else frame.index
    pd.DataFrame(
        {
            "time": stamps.astype(str),
            "kwh": frame["target"].to_numpy(),
            "temp": frame["outdoor_temp"].to_numpy(),
        }
    ).to_csv(path, index=False)


@pytest.mark.parametrize("naive_zone", [None, "Europe/Berlin"])
def test_load_csv_reads_naive_local_and_offset_timestamps(
    tmp_path: Path, naive_zone: str | None
) -> None:
    frame = synthetic_home(5, seed=1, gap_fraction=0.0)
    path = tmp_path / "home.csv"
    write_csv(path, frame, naive_zone=naive_zone)
    loaded = bench_forecast.load_csv(path, "time", "kwh", ["temp"], naive_zone or "UTC")
    assert str(loaded.index.tz) == "UTC"
    np.testing.assert_allclose(loaded["target"].to_numpy(), frame["target"].to_numpy())
    assert loaded.index.equals(frame.index)


def test_protocol_issues_daily_at_local_midnight_and_refits_weekly(tmp_path: Path) -> None:
    frame = synthetic_home(40, seed=6)
    settings = ForecastSettings(
        time_zone="Europe/Berlin", engine="numpy", feature_columns=("outdoor_temp",)
    )
    start = (
        (frame.index[-1] - pd.Timedelta(days=9)).tz_convert("Europe/Berlin").strftime("%Y-%m-%d")
    )
    result, summary = bench_forecast.run_protocol(frame, settings, start, oracle_features=True)
    local = result.index.tz_convert("Europe/Berlin")
    assert (local.hour[::24] == 0).all()
    assert summary["refits"] == 2
    assert summary["days"] == 10
    assert summary["hours_scored"] == int(result["actual"].notna().sum())
    assert summary["best_baseline"] in summary["baseline_mae"]
    assert 0.0 <= summary["coverage_p10_p90"] <= 1.0
    assert summary["skill_vs_best_baseline"] == pytest.approx(
        1 - summary["mae_p50"] / summary["baseline_mae"][summary["best_baseline"]], abs=1e-3
    )


def test_protocol_trains_and_predicts_on_rows_before_each_issue_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No look-ahead: every fit and every forecast sees only rows before its issue time."""
    calls: list[tuple[str, pd.Timestamp, pd.Timestamp | None]] = []  # (call, last row, issue)
    real_train, real_predict = bench_forecast.train_forecaster, Forecaster.predict

    def train(history: pd.DataFrame, settings: ForecastSettings) -> Forecaster:
        calls.append(("train", history.index[-1], None))
        return real_train(history, settings)

    def predict(
        self: Forecaster, history: pd.DataFrame, issue_time: pd.Timestamp, **kwargs: Any
    ) -> Forecast:
        calls.append(("predict", history.index[-1], issue_time))
        return real_predict(self, history, issue_time, **kwargs)

    monkeypatch.setattr(bench_forecast, "train_forecaster", train)
    monkeypatch.setattr(Forecaster, "predict", predict)
    frame = synthetic_home(36, seed=6, gap_fraction=0.0)
    settings = ForecastSettings(time_zone="Europe/Berlin", engine="numpy")
    start = (
        (frame.index[-1] - pd.Timedelta(days=15)).tz_convert("Europe/Berlin").strftime("%Y-%m-%d")
    )
    _, summary = bench_forecast.run_protocol(frame, settings, start)
    predicts = [(last, issue) for call, last, issue in calls if call == "predict"]
    assert len(predicts) == summary["days"] == 16
    for last, issue in predicts:
        assert issue is not None
        # Before the issue time, and the row just before it (no needless gap either).
        assert issue - pd.Timedelta(hours=1) <= last < issue
    # Each fit serves the forecast issued right after it: its rows end before that issue.
    fits = [
        (last, calls[number + 1][2])
        for number, (call, last, _) in enumerate(calls)
        if call == "train"
    ]
    assert len(fits) == summary["refits"] == 3
    for last, issue in fits:
        assert issue is not None
        assert last < issue
    refit_issues = [issue for _, issue in fits if issue is not None]
    assert all(
        later - earlier >= pd.Timedelta(days=bench_forecast.REFIT_DAYS)
        for earlier, later in itertools.pairwise(refit_issues)
    )


def test_command_line_writes_forecasts_and_prints_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = synthetic_home(30, seed=8)
    path, out = tmp_path / "home.csv", tmp_path / "out" / "forecast.csv"
    write_csv(path, frame, naive_zone="Europe/Berlin")
    start = (
        (frame.index[-1] - pd.Timedelta(days=3)).tz_convert("Europe/Berlin").strftime("%Y-%m-%d")
    )
    argv = [
        *("--csv", str(path), "--timestamp-col", "time", "--value-col", "kwh"),
        *("--feature-col", "temp", "--engine", "numpy", "--time-zone", "Europe/Berlin"),
        *("--test-start", start, "--out", str(out)),
    ]
    assert bench_forecast.main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["engine"] == "numpy"
    written = pd.read_csv(out)
    assert list(written.columns) == ["timestamp", "p10", "p50", "p90"]
    assert len(written) == 24 * 4
    assert (written["p10"] <= written["p50"]).all()
    assert (written["p50"] <= written["p90"]).all()


def test_command_line_requires_its_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        bench_forecast.main(["--csv", "x.csv"])
    assert "required" in capsys.readouterr().err


def test_speed_benchmark_reports_each_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    real = bench_forecast.synthetic_home
    monkeypatch.setattr(bench_forecast, "synthetic_home", lambda *_a, **kw: real(20, **kw))
    result = bench_forecast.speed(["numpy"], repeats=1, measure_rss=False)
    assert result["numpy"]["feature_groups"] == 6
    assert result["numpy"]["fit_seconds_median"] > 0
    assert result["numpy"]["example"].startswith("Expected ")
    assert result["numpy"]["peak_fit_memory_mb_rss"] is None


def test_fit_memory_is_measured_from_the_kernel_high_water_mark(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = bench_forecast.synthetic_home
    monkeypatch.setattr(bench_forecast, "synthetic_home", lambda *_a, **kw: real(20, **kw))
    assert bench_forecast.fit_peak_rss_mb("numpy") >= 0.0


def test_hourly_from_minutes_drops_sparse_hours() -> None:
    stamps = pd.date_range("2007-01-01 00:00", periods=120, freq="min")
    power = np.r_[np.full(60, 1.2), np.full(60, np.nan)]
    power[60:70] = 3.0  # only 10 readings in the second hour
    minutes = pd.DataFrame({"date_time": stamps.astype(str), "Global_active_power": power})
    hourly = hourly_from_minutes(minutes)
    assert list(hourly["energy_kwh"]) == [1.2]
    assert str(hourly["timestamp"].iloc[0]) == "2007-01-01 00:00:00"


def test_thread_limit_is_skipped_without_threadpoolctl(monkeypatch: pytest.MonkeyPatch) -> None:
    from custom_components.foresight.ml.forecast.engines import threads  # noqa: PLC0415

    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, "threadpoolctl", None)
        threads._controller.cache_clear()
        assert isinstance(threads.single_thread("numpy"), nullcontext)
    threads._controller.cache_clear()
    assert not isinstance(threads.single_thread("numpy"), nullcontext)


def test_protocol_survives_a_midnight_that_does_not_exist() -> None:
    """America/Santiago skipped 2024-09-08 00:00 (DST): that day starts at 01:00, 23 hours."""
    zone = "America/Santiago"
    frame = synthetic_home(20, start="2024-08-21", seed=3, gap_fraction=0.0)  # UTC index
    settings = ForecastSettings(time_zone=zone, engine="numpy")
    result, summary = bench_forecast.run_protocol(frame, settings, "2024-09-07")
    local = result.index.tz_convert(zone)
    days = pd.Series(local.date).value_counts().sort_index()
    skipped = pd.Timestamp("2024-09-08").date()
    assert days[skipped] == 23
    assert local[local.date == skipped][0].hour == 1
    assert (days.drop(skipped) == 24).all()
    assert summary["days"] == len(days)
