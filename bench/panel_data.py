"""Prepare the household panel for :mod:`bench.panel` (real data, read at run time).

Usage::

    python -m bench.panel_data [--gravitas-git REPO] [--set panel|holdout] [--out DIR]

Data set: ten real households of the Smart-Grid Smart-City customer trial (Ausgrid, Newcastle
and Sydney, NSW, Australia; CC BY 3.0 AU, (c) Commonwealth of Australia), half-hourly
general-supply kWh from February 2012 to March 2014, as shipped in the R package
``Sayani07/gravitas`` (``data/smart_meter10.RData``, pinned in :data:`PANEL_SOURCE`). It is
read from a git snapshot (``--gravitas-git``) or, by default, the pinned raw GitHub URL, and
cached under ``bench/data/panel_raw``; nothing is committed. Reading ``.RData`` needs ``pyreadr``,
installed on first use into ``bench/data/pylib`` (git-ignored), not into the project.

The readings are in Australian Eastern Standard Time all year (48 half-hours on every date,
including the clock-change days, and the houses' morning rise moves by an hour at each
change); each half-hour label is taken as the start of its interval. An hour is kept when both
of its half-hours are present, and written in the houses' clock time (``Australia/Sydney``,
naive): the hour repeated when the clocks go back is dropped, as the loaders drop ambiguous
local hours.

Eligibility (data quality only, see docs/benchmarks/panel.md): at least a year of history
before the test period and at least :data:`MIN_TEST_DAYS` test days; at most 10 % of hours
missing in the history's last 365 days and in the test period.

``--set holdout`` prepares a second, disjoint set that judges changes of the anomaly
detector made with the panel in view (first used in session 11): the 50 SGSC customers of
``inst/extdata/smart_meter_50_tbl.rds`` (gravitas commit :data:`HOLDOUT_SOURCE`, calendar year
2013 only) less the panel's houses. Each fits on January-June and runs online from
:data:`HOLDOUT_SPLIT` (too short a history for the forecast protocol); eligible when at most
10 % of hours are missing in each half. That file labels its half-hours at :25 and :55
(documented nowhere reachable here); both fall in the hour they are grouped into.
"""

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
import importlib
import json
from pathlib import Path
import subprocess
import sys
import urllib.request

import pandas as pd

from bench.datasets import DEFAULT_DATA_DIR


@dataclass(frozen=True, slots=True)
class Source:
    """One R data file in the gravitas repository.

    Attributes:
        commit: The pinned commit.
        path: The file's path in the repository.
        table: The object's name inside an ``.RData`` file (None for ``.rds``).
    """

    commit: str
    path: str
    table: str | None


PANEL_SOURCE = Source(
    "c1430843c5cd9bc547dc0f768cd38b979f4b5f6a", "data/smart_meter10.RData", "smart_meter10"
)
HOLDOUT_SOURCE = Source(
    "77643a4fd12e535f7d70ce181e38ccfab2ba06e6", "inst/extdata/smart_meter_50_tbl.rds", None
)
HOLDOUT_SPLIT = pd.Timestamp("2013-07-01")
HOLDOUT_END = pd.Timestamp("2014-01-01")
RAW_URL = "https://raw.githubusercontent.com/Sayani07/gravitas/{commit}/{path}"
PYLIB = DEFAULT_DATA_DIR / "pylib"
READER_REQUIREMENTS = ("pyreadr==0.5.8", "narwhals==2.29.0")
SOURCE_ZONE = "Etc/GMT-10"
"""Australian Eastern Standard Time, the readings' clock all year."""
HOME_ZONE = "Australia/Sydney"
COUNTRY = "AU"
SYDNEY = (-33.87, 151.21)
"""The trial's region (Newcastle and Sydney) is given, not each home's place."""
HISTORY_DAYS = 365
TEST_DAYS = 365
MIN_TEST_DAYS = 180
MAX_MISSING = 0.10
MAX_HOUSES = 12
MAX_HOLDOUT_HOUSES = 50


def read_rdata_bytes(source: Source, gravitas_git: Path | None, cache: Path) -> Path:
    """The R data file, from the snapshot or the pinned URL, cached."""
    target = cache / source.commit[:12] / Path(source.path).name
    if target.exists():
        return target
    if gravitas_git is not None:
        blob = subprocess.run(  # noqa: S603
            ["git", "--git-dir", str(gravitas_git), "show", f"{source.commit}:{source.path}"],  # noqa: S607
            check=True,
            capture_output=True,
        ).stdout
    else:
        url = RAW_URL.format(commit=source.commit, path=source.path)
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310
            blob = response.read()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(blob)
    return target


def _pyreadr() -> object:
    """Import pyreadr, installing it into :data:`PYLIB` first if needed."""
    if not (PYLIB / "pyreadr").exists():
        subprocess.run(  # noqa: S603  (our own interpreter, pinned versions)
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--no-deps",
                "--quiet",
                "--target",
                str(PYLIB),
                *READER_REQUIREMENTS,
            ],
            check=True,
        )
    if str(PYLIB) not in sys.path:
        sys.path.append(str(PYLIB))
    return importlib.import_module("pyreadr")


def hourly_by_house(rdata: Path, name: str | None) -> dict[str, pd.Series]:
    """Each house's hourly kWh on naive clock-time hour starts in :data:`HOME_ZONE`."""
    return hourly_from_readings(_pyreadr().read_r(str(rdata))[name])  # type: ignore[attr-defined]


def hourly_from_readings(table: pd.DataFrame) -> dict[str, pd.Series]:
    """Half-hourly readings in standard time to hourly kWh per house in clock time.

    Args:
        table: ``customer_id``, ``reading_datetime`` (naive, :data:`SOURCE_ZONE`) and
            ``general_supply_kwh``.

    Returns:
        ``customer -> series`` on naive :data:`HOME_ZONE` hour starts; an hour needs both of
        its half-hours, and the hour repeated when the clocks go back is dropped.
    """
    table = table.dropna(subset=["general_supply_kwh"])
    table = table.drop_duplicates(["customer_id", "reading_datetime"])
    standard = pd.DatetimeIndex(table["reading_datetime"]).tz_localize(None)
    table["hour"] = standard.floor("h").tz_localize(SOURCE_ZONE).tz_convert(HOME_ZONE)
    houses: dict[str, pd.Series] = {}
    for customer, rows in table.groupby(table["customer_id"].astype(str)):
        sums = rows.groupby("hour")["general_supply_kwh"].agg(["sum", "count"])
        kept = sums[sums["count"] == 2]["sum"]
        local = pd.DatetimeIndex(kept.index).tz_localize(None)
        series = pd.Series(kept.to_numpy(), index=local)
        houses[str(customer)] = series[~series.index.duplicated(keep=False)].sort_index()
    return houses


def evaluation_period(series: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """First and last test day, or None when the house has too little data."""
    first_day = series.index.min().normalize()
    last_day = series.index.max().normalize()
    start = max(
        first_day + pd.Timedelta(days=HISTORY_DAYS), last_day - pd.Timedelta(days=TEST_DAYS - 1)
    )
    if (last_day - start).days + 1 < MIN_TEST_DAYS:
        return None
    return start, last_day


def missing_share(series: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Share of the hours in ``[start, end)`` without a reading."""
    expected = (end - start) / pd.Timedelta(hours=1)
    present = ((series.index >= start) & (series.index < end)).sum()
    return float(1.0 - present / expected)


def eligibility(series: pd.Series) -> dict[str, object]:
    """Whether a house may join the panel, and the figures that decide it."""
    period = evaluation_period(series)
    if period is None:
        return {"eligible": False, "reason": "under a year of history plus 180 test days"}
    start, last_day = period
    history = missing_share(series, start - pd.Timedelta(days=HISTORY_DAYS), start)
    test = missing_share(series, start, last_day + pd.Timedelta(days=1))
    return {
        "eligible": history <= MAX_MISSING and test <= MAX_MISSING,
        "test_start": start.date().isoformat(),
        "test_days": (last_day - start).days + 1,
        "missing_history_year": round(history, 4),
        "missing_test": round(test, 4),
    }


def holdout_eligibility(series: pd.Series) -> dict[str, object]:
    """Whether a house of the held-out set may join it: both halves of 2013 nearly complete."""
    start = HOLDOUT_SPLIT - pd.DateOffset(months=6)
    history = missing_share(series, start, HOLDOUT_SPLIT)
    test = missing_share(series, HOLDOUT_SPLIT, HOLDOUT_END)
    return {
        "eligible": history <= MAX_MISSING and test <= MAX_MISSING,
        "test_start": HOLDOUT_SPLIT.date().isoformat(),
        "test_days": (HOLDOUT_END - HOLDOUT_SPLIT).days,
        "missing_history_year": round(history, 4),
        "missing_test": round(test, 4),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Write one CSV per eligible house and ``manifest.json``; print the eligibility table."""
    parser = argparse.ArgumentParser(description="prepare the household panel")
    parser.add_argument("--gravitas-git", type=Path, help="git snapshot of Sayani07/gravitas")
    parser.add_argument("--set", choices=["panel", "holdout"], default="panel", dest="which")
    parser.add_argument("--out", type=Path, help="default: bench/data/panel[_holdout]")
    args = parser.parse_args(argv)
    holdout = args.which == "holdout"
    out = args.out or DEFAULT_DATA_DIR / ("panel_holdout" if holdout else "panel")
    out.mkdir(parents=True, exist_ok=True)
    cache = DEFAULT_DATA_DIR / "panel_raw"
    source = HOLDOUT_SOURCE if holdout else PANEL_SOURCE
    houses = hourly_by_house(read_rdata_bytes(source, args.gravitas_git, cache), source.table)
    if holdout:
        panel = read_rdata_bytes(PANEL_SOURCE, args.gravitas_git, cache)
        for customer in hourly_by_house(panel, PANEL_SOURCE.table):
            houses.pop(customer, None)
    judge = holdout_eligibility if holdout else eligibility
    limit = MAX_HOLDOUT_HOUSES if holdout else MAX_HOUSES
    manifest: list[dict[str, object]] = []
    print("| house | first hour | last hour | test from | test days | missing | eligible |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for customer in sorted(houses):
        series = houses[customer]
        verdict = judge(series)
        print(
            f"| sgsc_{customer} | {series.index.min()} | {series.index.max()}"
            f" | {verdict.get('test_start', '-')} | {verdict.get('test_days', '-')}"
            f" | {verdict.get('missing_history_year', '-')} / {verdict.get('missing_test', '-')}"
            f" | {'yes' if verdict['eligible'] else verdict.get('reason', 'no: missing hours')} |"
        )
        if not verdict["eligible"] or len(manifest) >= limit:
            continue
        name = f"sgsc_{customer}"
        frame = pd.DataFrame(
            {
                "timestamp": pd.DatetimeIndex(series.index).strftime("%Y-%m-%d %H:%M:%S"),
                "energy_kwh": series.round(4).to_numpy(),
            }
        )
        frame.to_csv(out / f"{name}.csv", index=False)
        manifest.append(
            {
                "id": name,
                "csv": f"{name}.csv",
                "time_zone": HOME_ZONE,
                "country": COUNTRY,
                "latitude": SYDNEY[0],
                "longitude": SYDNEY[1],
                "test_start": verdict["test_start"],
                "source": f"SGSC customer trial via Sayani07/gravitas {source.commit[:12]}",
            }
        )
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    print(f"{len(manifest)} houses in {out / 'manifest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
