"""Trend and drift insight for energy meters: base load, weather, trend and busy hours.

Pure NumPy and pandas, no Home Assistant. Typical use from the glue::

    insight = energy_insight(frame, time_zone="Europe/Berlin", now=now,
                             temperature_column="outdoor_temp")
    response = insight.to_dict()

The input is the project's hourly frame (tz-aware index, ``target`` in kWh per hour, optional
``excluded``); the analysis covers the complete local days of the 8 weeks before ``now``.
"""

from .energy import energy_insight
from .result import EnergyInsight, HourRange
from .weather import COOLING_BASE_C, HEATING_BASE_C

__all__ = ["COOLING_BASE_C", "HEATING_BASE_C", "EnergyInsight", "HourRange", "energy_insight"]
