"""The SKAB benchmark's data preparation and scoring, on a tiny synthetic SKAB-like file."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench import skab
from bench.anomaly_data import Event

START = pd.Timestamp("2020-03-09 10:14:33")


def skab_text(seconds: int, start: pd.Timestamp, labelled: range | None = None) -> str:
    """A ``;``-separated file like SKAB's: one reading a second, second 7 missing."""
    stamps = [start + pd.Timedelta(seconds=s) for s in range(seconds) if s != 7]
    rows = pd.DataFrame({"datetime": [t.strftime("%Y-%m-%d %H:%M:%S") for t in stamps]})
    for number, name in enumerate(skab.SENSORS):
        rows[name] = np.arange(len(stamps), dtype=float) + 100 * number
    if labelled is not None:
        offsets = [(t - start).total_seconds() for t in stamps]
        rows["anomaly"] = [float(o in labelled) for o in offsets]
        rows["changepoint"] = 0.0
    return rows.to_csv(sep=";", index=False)


@pytest.fixture
def skab_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    (data / "valve1").mkdir(parents=True)
    (data / "anomaly-free").mkdir()
    (data / "valve1" / "0.csv").write_text(skab_text(600, START, range(452, 481)))
    free = skab_text(300, pd.Timestamp("2020-03-09 10:00:00"))
    (data / "anomaly-free" / "anomaly-free.csv").write_text(free)
    return tmp_path


def test_resample_averages_real_readings_and_labels_any_second() -> None:
    raw = skab.parse(skab_text(20, START, range(12, 13)))
    rows = skab.resample(raw)
    assert list(rows.index[:2]) == [START, START + skab.STEP]
    first = raw[skab.SENSORS[0]].iloc[:5].mean()
    assert rows[skab.SENSORS[0]].iloc[0] == pytest.approx(first)
    # Seconds 5, 6, 8, 9 (7 is missing): the mean of the four readings that exist.
    assert rows[skab.SENSORS[0]].iloc[1] == pytest.approx(raw[skab.SENSORS[0]].iloc[5:9].mean())
    assert rows["anomaly"].tolist() == [0, 0, 1, 0]


def test_fit_end_is_the_bin_boundary_before_the_401st_reading() -> None:
    raw = skab.parse(skab_text(600, START))
    # One second is missing, so the 401st reading is at second 401: boundary 400.
    assert skab.fit_end(raw) == START + pd.Timedelta(seconds=400)


def test_prepare_file_protocol(skab_dir: Path) -> None:
    read = skab.dir_reader(skab_dir)
    prepared = skab.prepare("valve1/0.csv", read, "file", skab_dir / "work")
    case = prepared.case
    assert case.value_col == skab.SENSORS[0]
    assert case.feature_cols == skab.SENSORS[1:]
    assert case.train_until == "2020-03-09T10:21:13+00:00"
    csv = pd.read_csv(case.csv)
    assert list(csv.columns) == ["timestamp", *skab.SENSORS]
    assert "anomaly" not in csv  # labels never reach the detector
    assert (prepared.fit_rows, prepared.online_rows, prepared.fit_labelled) == (80, 40, 0)
    # Labelled seconds 452-480 touch the bins starting at 450 to 480.
    start = pd.Timestamp("2020-03-09 10:22:03", tz="UTC")
    assert case.events == [Event("valve1/0", start, start + pd.Timedelta(seconds=30))]


def test_prepare_with_free_puts_the_clean_file_an_hour_before(skab_dir: Path) -> None:
    read = skab.dir_reader(skab_dir / "data")
    prepared = skab.prepare("valve1/0.csv", read, "with-free", skab_dir / "work")
    stamps = pd.to_datetime(pd.read_csv(prepared.case.csv)["timestamp"])
    assert prepared.fit_rows == 60 + 80
    assert prepared.online_rows == 40
    first = START.tz_localize("UTC")
    gap = stamps[stamps < first]
    assert gap.iloc[-1] == first - skab.FREE_GAP
    assert stamps.is_monotonic_increasing
    with pytest.raises(ValueError, match="protocol"):
        skab.prepare("valve1/0.csv", read, "nonsense", skab_dir / "work")


def test_label_events_splits_runs() -> None:
    index = pd.date_range("2020-01-01", periods=8, freq="5s", tz="UTC")
    labels = pd.Series([0, 1, 1, 0, 0, 1, 0, 1], index=index)
    events = skab.label_events(labels, "x")
    assert [(e.start, e.end) for e in events] == [
        (index[1], index[2]),
        (index[5], index[5]),
        (index[7], index[7]),
    ]
    assert skab.label_events(labels.iloc[:0], "x") == []


def test_score_counts_events_false_alarms_and_alarm_starts(tmp_path: Path) -> None:
    index = pd.date_range("2020-01-01", periods=60, freq="5s", tz="UTC")
    flags = np.zeros(60, dtype=int)
    flags[2:4] = 1  # a false alarm, clean
    flags[18:22] = 1  # starts before the event at row 20 and runs into it
    flags[36] = 1  # within the 60 s grace after the event (rows 20-24)
    flags[50] = 1  # after the grace: a false alarm
    out = tmp_path / "out.csv"
    pd.DataFrame(
        {"timestamp": [t.isoformat() for t in index], "score": 0.0, "is_anomaly": flags}
    ).to_csv(out, index=False)
    events = [Event("valve1/0", index[20], index[24])]
    result = skab.score(out, events, "valve1/0")
    assert (result.events, result.detected, result.false_alarms) == (1, 1, 2)
    # The alarm started before the event: not caught strictly; three false starts.
    assert (result.strict_detected, result.false_starts) == (0, 3)
    assert result.first_flag_delay == 0.0
    assert result.before_hours == pytest.approx(20 * 5 / 3600)
    # 60 rows less the event (5) and its grace (12) at 5 s each.
    assert result.clean_hours == pytest.approx(43 * 5 / 3600)
    summed = skab.total([result, result])
    assert (summed.events, summed.false_alarms, summed.false_starts) == (2, 4, 6)
    assert summed.per_hour == pytest.approx(4 / (2 * 43 * 5 / 3600))
    assert summed.before_hours == pytest.approx(2 * result.before_hours)
    assert "| x | 2 | 2/2 | 4 |" in skab.total_row("x", summed)
