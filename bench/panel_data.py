"""Prepare the household panel for :mod:`bench.panel` (real data, read at run time).

Usage::

    python -m bench.panel_data [--gravitas-git REPO] [--out bench/data/panel]

Data set: ten real households of the Smart-Grid Smart-City customer trial (Ausgrid, Newcastle
and Sydney, NSW, Australia; CC BY 3.0 AU, (c) Commonwealth of Australia), half-hourly
general-supply kWh from February 2012 to March 2014, as shipped in the R package
``Sayani07/gravitas`` (``data/smart_meter10.RData``, pinned at :data:`GRAVITAS_COMMIT`). It is
read from a git snapshot (``--gravitas-git``) or, by default, the pinned raw GitHub URL, and
cached under the output folder; nothing is committed. Reading ``.RData`` needs ``pyreadr``,
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
"""

import argparse
from collections.abc import Sequence
import importlib
import json
from pathlib import Path
import subprocess
import sys
import urllib.request

import pandas as pd

from bench.datasets import DEFAULT_DATA_DIR

GRAVITAS_COMMIT = "c1430843c5cd9bc547dc0f768cd38b979f4b5f6a"
RDATA_PATH = "data/smart_meter10.RData"
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


def read_rdata_bytes(gravitas_git: Path | None, cache: Path) -> Path:
    """The ``.RData`` file, from the snapshot or the pinned URL, cached."""
    target = cache / GRAVITAS_COMMIT[:12] / Path(RDATA_PATH).name
    if target.exists():
        return target
    if gravitas_git is not None:
        blob = subprocess.run(  # noqa: S603
            ["git", "--git-dir", str(gravitas_git), "show", f"{GRAVITAS_COMMIT}:{RDATA_PATH}"],  # noqa: S607
            check=True,
            capture_output=True,
        ).stdout
    else:
        url = RAW_URL.format(commit=GRAVITAS_COMMIT, path=RDATA_PATH)
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


def hourly_by_house(rdata: Path) -> dict[str, pd.Series]:
    """Each house's hourly kWh on naive clock-time hour starts in :data:`HOME_ZONE`."""
    table = _pyreadr().read_r(str(rdata))["smart_meter10"]  # type: ignore[attr-defined]
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


def main(argv: Sequence[str] | None = None) -> int:
    """Write one CSV per eligible house and ``manifest.json``; print the eligibility table."""
    parser = argparse.ArgumentParser(description="prepare the household panel")
    parser.add_argument("--gravitas-git", type=Path, help="git snapshot of Sayani07/gravitas")
    parser.add_argument("--out", type=Path, default=DEFAULT_DATA_DIR / "panel")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    houses = hourly_by_house(read_rdata_bytes(args.gravitas_git, args.out / "raw"))
    manifest: list[dict[str, object]] = []
    print("| house | first hour | last hour | test from | test days | missing | eligible |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for customer in sorted(houses):
        series = houses[customer]
        verdict = eligibility(series)
        print(
            f"| sgsc_{customer} | {series.index.min()} | {series.index.max()}"
            f" | {verdict.get('test_start', '-')} | {verdict.get('test_days', '-')}"
            f" | {verdict.get('missing_history_year', '-')} / {verdict.get('missing_test', '-')}"
            f" | {'yes' if verdict['eligible'] else verdict.get('reason', 'no: missing hours')} |"
        )
        if not verdict["eligible"] or len(manifest) >= MAX_HOUSES:
            continue
        name = f"sgsc_{customer}"
        frame = pd.DataFrame(
            {
                "timestamp": pd.DatetimeIndex(series.index).strftime("%Y-%m-%d %H:%M:%S"),
                "energy_kwh": series.round(4).to_numpy(),
            }
        )
        frame.to_csv(args.out / f"{name}.csv", index=False)
        manifest.append(
            {
                "id": name,
                "csv": f"{name}.csv",
                "time_zone": HOME_ZONE,
                "country": COUNTRY,
                "latitude": SYDNEY[0],
                "longitude": SYDNEY[1],
                "test_start": verdict["test_start"],
                "source": f"SGSC customer trial via Sayani07/gravitas {GRAVITAS_COMMIT[:12]}",
            }
        )
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    print(f"{len(manifest)} houses in {args.out / 'manifest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
