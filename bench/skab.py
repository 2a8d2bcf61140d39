"""Evaluate the sensor anomaly detector on SKAB, real labelled sensor data at 5-second means.

Usage::

    python -m bench.skab [--skab-dir DIR | --skab-git REPO] [--protocol file|with-free|both]
        [--sensitivity medium [high ...]] [--multivariate off [auto ...]] [--only GROUP]
        [--jobs N] [--json]

SKAB (Skoltech Anomaly Benchmark, https://github.com/waico/SKAB, GPL-3.0, pinned at commit
:data:`SKAB_COMMIT`) is a water-circulation testbed: 8 sensors read about once a second, 34
experiment files of about 20 minutes (``valve1/0-15``, ``valve2/0-3``, ``other/1-14``) with a
labelled anomaly (``anomaly`` column) in each, and one anomaly-free file of 2.8 h. Nothing of
it is committed: it is read at run time from a local copy (``--skab-dir``, the repository or
its ``data`` folder), a git snapshot (``--skab-git``, read with ``git show``) or, by default,
the pinned raw GitHub URLs, cached under ``bench/data/skab/`` (git-ignored).

Preparation (nothing injected): each file is averaged to 5-second means of the real readings
(bins anchored at the file's first reading; empty bins dropped); a 5-second row is labelled
when any of its readings is. The labels only score the output.

Protocols (fixed before any result was seen, see docs/benchmarks/anomaly.md):

* ``file`` (primary, SKAB's own split): the detector fits on the file's first 400 readings
  (SKAB's ``train_size=400``, about 400 s, i.e. 80 five-second rows; the fit history ends at
  the last 5-second bin boundary at or before the 401st reading) and runs online on the rest.
* ``with-free`` (secondary): the anomaly-free file, shifted in time to end one hour before
  the experiment (some files were recorded while it was), followed by the same first 400
  readings, is the fit history; the online part is the same.

Each case runs the documented command ``python -m bench.anomaly`` (via
``bench.anomaly_data.run_detector``) with all 8 sensors (``Accelerometer1RMS`` as
``--value-col``, the other seven as ``--feature-col``; the sensor detector treats them alike)
and ``--train-until`` at the first online row. Scoring is that of
``bench.anomaly_data.score_output``: an event (a run of consecutive labelled rows) is detected
when any of its rows is flagged; a false-alarm event is a run of flagged rows that touches no
event or the :data:`GRACE` after one. Clean online time leaves out the events and their grace.
Because an alarm clears only after 2 h below the off score (longer than a file), an alarm
raised before an event is still on during it; the strict figures therefore also count when
an alarm *starts*: an event is caught strictly when an alarm starts inside it, and every alarm
that starts outside all events and their grace is a false start.
"""

import argparse
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from functools import partial
import io
import json
from pathlib import Path
import subprocess
import sys
import urllib.request

import numpy as np
import pandas as pd

from bench.anomaly_data import OUT_DIR, Case, Event, run_detector, score_output

SKAB_COMMIT = "b2c0d46c2971dcbfe71e26087b6d231998bb91c2"
RAW_URL = "https://raw.githubusercontent.com/waico/SKAB/{commit}/data/{path}"
CACHE_DIR = Path(__file__).parent / "data" / "skab"
WORK_DIR = OUT_DIR / "skab"
"""Prepared CSVs (bench/out is git-ignored; bench/data may be shared between checkouts)."""
ANOMALY_FREE = "anomaly-free/anomaly-free.csv"
GROUPS: dict[str, tuple[int, ...]] = {
    "valve1": tuple(range(16)),
    "valve2": tuple(range(4)),
    "other": tuple(range(1, 15)),
}
SENSORS = (
    "Accelerometer1RMS",
    "Accelerometer2RMS",
    "Current",
    "Pressure",
    "Temperature",
    "Thermocouple",
    "Voltage",
    "Volume Flow RateRMS",
)
STEP = pd.Timedelta(seconds=5)
FIT_READINGS = 400
"""SKAB's split: ``train_test_split(..., train_size=400, shuffle=False)`` in core/utils.py."""
GRACE = pd.Timedelta(seconds=60)
"""Flags this soon after an event are its tail (SKAB's own NAB window is 60 s)."""
FREE_GAP = pd.Timedelta(hours=1)
"""Gap between the shifted anomaly-free history and the experiment (no jump across it)."""

type Reader = Callable[[str], str]


def files() -> list[str]:
    """The experiment files, relative to SKAB's ``data`` folder."""
    return [f"{group}/{n}.csv" for group, numbers in GROUPS.items() for n in numbers]


def dir_reader(root: Path) -> Reader:
    """Read files from a local SKAB checkout (the repository or its ``data`` folder)."""
    base = root / "data" if (root / "data" / ANOMALY_FREE).exists() else root

    def read(path: str) -> str:
        return (base / path).read_text(encoding="utf-8")

    return read


def git_reader(repo: Path, commit: str = SKAB_COMMIT) -> Reader:
    """Read files from a git snapshot of SKAB (no work tree needed)."""

    def read(path: str) -> str:
        done = subprocess.run(  # noqa: S603
            ["git", "-C", str(repo), "show", f"{commit}:data/{path}"],  # noqa: S607
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout

    return read


def url_reader(cache: Path = CACHE_DIR, commit: str = SKAB_COMMIT) -> Reader:
    """Download the pinned raw files once and cache them."""

    def read(path: str) -> str:
        target = cache / commit[:12] / path
        if not target.exists():
            url = RAW_URL.format(commit=commit, path=path)
            with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310
                text = response.read().decode("utf-8")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        return target.read_text(encoding="utf-8")

    return read


def parse(text: str) -> pd.DataFrame:
    """One SKAB file (``;``-separated) as a frame on its naive timestamps."""
    raw = pd.read_csv(io.StringIO(text), sep=";")
    index = pd.DatetimeIndex(pd.to_datetime(raw.pop("datetime")), name="timestamp")
    frame = raw.set_axis(index).sort_index()
    return frame[~frame.index.duplicated(keep="first")]


def resample(frame: pd.DataFrame) -> pd.DataFrame:
    """5-second means of the sensors; a row is labelled when any of its readings is.

    Bins start at the first reading; bins without readings are dropped.
    """
    origin = frame.index[0]
    bins = frame.resample(STEP, origin=origin, closed="left", label="left")
    out = bins[list(SENSORS)].mean()
    if "anomaly" in frame:
        out["anomaly"] = bins["anomaly"].max().fillna(0).astype(int)
    counts = bins[SENSORS[0]].count()
    return out[counts.to_numpy() > 0]


def fit_end(frame: pd.DataFrame) -> pd.Timestamp:
    """First online moment: the 5-second boundary at or before the 401st reading."""
    origin = frame.index[0]
    first_online = frame.index[min(FIT_READINGS, len(frame) - 1)]
    return pd.Timestamp(origin + STEP * ((first_online - origin) // STEP))


def label_events(labels: pd.Series, kind: str) -> list[Event]:
    """Runs of consecutive labelled rows (UTC index) as events."""
    flags = labels.to_numpy(dtype=bool)
    stamps = pd.DatetimeIndex(labels.index)
    run_id = np.cumsum(np.r_[True, flags[1:] != flags[:-1]]) if flags.size else flags
    return [
        Event(kind, stamps[run_id == run][0], stamps[run_id == run][-1])
        for run in np.unique(run_id[flags])
    ]


@dataclass(frozen=True, slots=True)
class Prepared:
    """One experiment file, prepared for one protocol.

    Attributes:
        case: The ``bench.anomaly`` input and its (withheld) labels.
        online_rows: 5-second rows scored online.
        fit_rows: 5-second rows of fit history.
        fit_labelled: Labelled rows inside the fit history (SKAB's split is not always clean).
    """

    case: Case
    online_rows: int
    fit_rows: int
    fit_labelled: int


def _utc(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.tz_localize("UTC")


def prepare(path: str, read: Reader, protocol: str, workdir: Path = WORK_DIR) -> Prepared:
    """Build the CSV and labels of one file under ``file`` or ``with-free``."""
    raw = parse(read(path))
    rows = _utc(resample(raw))
    train_until = fit_end(raw).tz_localize("UTC")
    history = rows[rows.index < train_until]
    if protocol == "with-free":
        free = _utc(resample(parse(read(ANOMALY_FREE))))
        shift = rows.index[0] - FREE_GAP - free.index[-1]
        free = free.set_axis(free.index + shift).assign(anomaly=0)
        rows = pd.concat([free, rows])
        history = rows[rows.index < train_until]
    elif protocol != "file":
        msg = f"unknown protocol {protocol!r}"
        raise ValueError(msg)
    online = rows[rows.index >= train_until]
    name = f"skab_{path.removesuffix('.csv').replace('/', '_')}_{protocol}"
    workdir.mkdir(parents=True, exist_ok=True)
    csv = workdir / f"{name}.csv"
    sensors = rows[list(SENSORS)]
    sensors.insert(0, "timestamp", [t.isoformat() for t in rows.index])
    sensors.to_csv(csv, index=False)
    case = Case(
        name=name,
        csv=csv,
        value_col=SENSORS[0],
        feature_cols=SENSORS[1:],
        train_until=train_until.isoformat(),
        time_zone="UTC",
        events=label_events(online["anomaly"], path.removesuffix(".csv")),
        grace=GRACE,
        source=f"SKAB {SKAB_COMMIT[:7]} data/{path}",
    )
    return Prepared(case, len(online), len(history), int(history["anomaly"].sum()))


@dataclass(frozen=True, slots=True)
class FileScore:
    """One file's results.

    Attributes:
        file: The experiment file.
        events: Labelled events online.
        detected: Events with a flagged row (``score_output``).
        false_alarms: Flagged runs touching no event and no grace (``score_output``).
        clean_hours: Online time outside the events and their grace.
        strict_detected: Events inside which an alarm starts.
        false_starts: Alarms starting outside every event and its grace.
        first_flag_delay: Seconds from the first event's start to its first flagged row.
        before_hours: Online time before the first event (after an event the alarm stays on
            to the end of the file, so only this part can show a new false alarm).
    """

    file: str
    events: int
    detected: int
    false_alarms: int
    clean_hours: float
    strict_detected: int
    false_starts: int
    first_flag_delay: float | None
    before_hours: float


def score(out_csv: Path, events: list[Event], file: str, grace: pd.Timedelta = GRACE) -> FileScore:
    """Score one ``bench.anomaly`` output against the labelled events."""
    base = score_output(out_csv, events, grace)
    out = pd.read_csv(out_csv)
    stamps = pd.DatetimeIndex(pd.to_datetime(out["timestamp"], utc=True))
    flags = out["is_anomaly"].to_numpy(dtype=bool)
    near = np.zeros(len(stamps), dtype=bool)
    for event in events:
        near |= (stamps >= event.start) & (stamps <= event.end + grace)
    starts = stamps[flags & ~np.r_[False, flags[:-1]]]
    strict = sum(any(e.start <= s <= e.end for s in starts) for e in events)
    false_starts = sum(not any(e.start <= s <= e.end + grace for e in events) for s in starts)
    delay = None
    before = len(stamps)
    if events:
        before = int((stamps < events[0].start).sum())
        first = events[0]
        hit = stamps[flags & (stamps >= first.start) & (stamps <= first.end)]
        delay = (hit[0] - first.start).total_seconds() if len(hit) else None
    return FileScore(
        file=file,
        events=base.events,
        detected=base.detected,
        false_alarms=base.false_alarms,
        clean_hours=float((~near).sum()) * STEP / pd.Timedelta(hours=1),
        strict_detected=strict,
        false_starts=false_starts,
        first_flag_delay=delay,
        before_hours=before * STEP / pd.Timedelta(hours=1),
    )


@dataclass(frozen=True, slots=True)
class Total:
    """Sums over files."""

    files: int
    events: int
    detected: int
    false_alarms: int
    clean_hours: float
    strict_detected: int
    false_starts: int
    before_hours: float

    @property
    def per_hour(self) -> float:
        """False-alarm events per clean online hour."""
        return self.false_alarms / max(self.clean_hours, 1e-9)

    @property
    def starts_per_hour(self) -> float:
        """False alarm starts per clean online hour."""
        return self.false_starts / max(self.clean_hours, 1e-9)


def total(scores: Sequence[FileScore]) -> Total:
    """Add up file scores."""
    return Total(
        files=len(scores),
        events=sum(s.events for s in scores),
        detected=sum(s.detected for s in scores),
        false_alarms=sum(s.false_alarms for s in scores),
        clean_hours=sum(s.clean_hours for s in scores),
        strict_detected=sum(s.strict_detected for s in scores),
        false_starts=sum(s.false_starts for s in scores),
        before_hours=sum(s.before_hours for s in scores),
    )


def total_row(label: str, t: Total) -> str:
    """One Markdown table row of totals."""
    return (
        f"| {label} | {t.files} | {t.detected}/{t.events} | {t.false_alarms} |"
        f" {t.clean_hours:.2f} | {t.per_hour:.1f} | {t.strict_detected}/{t.events} |"
        f" {t.false_starts} | {t.starts_per_hour:.1f} | {t.before_hours:.2f} |"
    )


TOTAL_HEADER = (
    "| variant | files | detected | false-alarm events | clean h | per clean h |"
    " strict detected | false starts | per clean h | h before events |\n| --- | ---: | ---: |"
    " ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def _run_one(
    prepared: Prepared, sensitivity: str, multivariate: str, *, reuse: bool = False
) -> tuple[FileScore, list[str], str]:
    case = replace(prepared.case, name=f"{prepared.case.name}_{multivariate}_{sensitivity}")
    out = OUT_DIR / f"anomaly_{case.name}.csv"
    if reuse and out.exists():
        command, log = ["(reused)", str(out)], "output of an earlier run reused"
    else:
        out, command, log = run_detector(case, sensitivity, multivariate)
    file = prepared.case.source.rsplit("data/", 1)[1].removesuffix(".csv")
    return score(out, case.events, file), command, log


def main(argv: Sequence[str] | None = None) -> int:
    """Prepare every file, run the detector per variant, print Markdown tables."""
    parser = argparse.ArgumentParser(description="sensor anomaly benchmark on SKAB")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--skab-dir", type=Path, help="local SKAB checkout or its data folder")
    source.add_argument("--skab-git", type=Path, help="git snapshot of SKAB (git show)")
    parser.add_argument("--commit", default=SKAB_COMMIT, help="SKAB commit (git and URLs)")
    parser.add_argument("--protocol", choices=["file", "with-free", "both"], default="file")
    parser.add_argument("--sensitivity", nargs="+", default=["medium"])
    parser.add_argument(
        "--multivariate", nargs="+", choices=["auto", "on", "off"], default=["off", "auto"]
    )
    parser.add_argument("--only", choices=list(GROUPS), help="one group of files")
    parser.add_argument("--jobs", type=int, default=1, help="detector runs at once")
    parser.add_argument("--json", action="store_true", help="also print per-file JSON lines")
    parser.add_argument(
        "--reuse", action="store_true", help="score existing outputs in bench/out (no runs)"
    )
    args = parser.parse_args(argv)
    if args.skab_dir is not None:
        read = dir_reader(args.skab_dir)
    elif args.skab_git is not None:
        read = git_reader(args.skab_git, args.commit)
    else:
        read = url_reader(CACHE_DIR, args.commit)
    protocols = ["file", "with-free"] if args.protocol == "both" else [args.protocol]
    paths = [p for p in files() if args.only is None or p.startswith(f"{args.only}/")]
    print(f"SKAB {args.commit}, {len(paths)} files, 5-second means, grace {GRACE}\n")
    for protocol in protocols:
        prepared = [prepare(p, read, protocol) for p in paths]
        fit = sum(p.fit_rows for p in prepared) / len(prepared)
        dirty = [p.case.name for p in prepared if p.fit_labelled]
        print(f"# protocol {protocol}: mean fit history {fit:.0f} rows; labelled rows in the")
        print(f"fit history of: {', '.join(dirty) or 'none'}\n")
        totals: list[str] = []
        for sensitivity in args.sensitivity:
            for multivariate in args.multivariate:
                variant = f"{protocol}, multivariate {multivariate}, {sensitivity}"
                with ThreadPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
                    run = partial(
                        _run_one,
                        sensitivity=sensitivity,
                        multivariate=multivariate,
                        reuse=args.reuse,
                    )
                    results = list(pool.map(run, prepared))
                scores = [r[0] for r in results]
                print(f"## {variant}\ncommand (first file): {' '.join(results[0][1])}")
                print(f"log (first file): {results[0][2]}\n")
                print("| file | events | detected | false-alarm events | clean min |"
                      " strict | false starts | first flag after | min before event |")  # fmt: skip
                print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
                for s in scores:
                    delay = "-" if s.first_flag_delay is None else f"{s.first_flag_delay:.0f} s"
                    print(
                        f"| {s.file} | {s.events} | {s.detected} | {s.false_alarms} |"
                        f" {60 * s.clean_hours:.1f} | {s.strict_detected} | {s.false_starts} |"
                        f" {delay} | {60 * s.before_hours:.1f} |"
                    )
                    if args.json:
                        print(json.dumps({"variant": variant, **asdict(s)}))
                print()
                for group in GROUPS:
                    part = [s for s in scores if s.file.startswith(f"{group}/")]
                    if part:
                        totals.append(total_row(f"{variant}: {group}", total(part)))
                totals.append(total_row(f"{variant}: **all**", total(scores)))
        print(f"## totals, protocol {protocol}\n\n{TOTAL_HEADER}")
        print("\n".join(totals))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
