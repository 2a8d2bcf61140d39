"""How dark each hour is at the home, from the sun's elevation (no dependency but NumPy).

Lighting follows the sunset, which the season's sine and cosine only approximate by the
time of year. The sun's elevation comes from the low-precision formulae of the Astronomical
Almanac (accurate to about 0.01 degree for 1950-2050, far within what an hourly share needs).

The ridge interacts the darkness with the hour of the day (in the season group). On the
household validation years (model alone, after the last 24 hours' check) it gained +0.30
[+0.10, +0.48] and +0.11 [-0.03, +0.27] points of skill, mostly at 06-09 h and 18-24 h and
in the autumn. On hotgym's September-October (two to four months of history, no season
group) the same columns lost 0.4 points: with less than a year the darkness is confounded
with the trend, so it comes with the season group only.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

type FloatArray = npt.NDArray[np.float64]

#: Sun elevations (degrees) between which an instant goes from light (0) to dark (1):
#: indoor light is needed a little before sunset, and the sky is dark at the end of civil
#: twilight (-6 degrees). On the household validation years a ramp of +6 to -6 degrees
#: did as well as +10 to -6 and better than 0 to -6 (see the forecast benchmark page).
LIGHT_ELEVATION = 6.0
DARK_ELEVATION = -6.0
#: Instants per hour at which the elevation is sampled (the minutes 5, 15, ..., 55).
SAMPLES_PER_HOUR = 6

_NS_PER_DAY = 86_400e9
#: 2000-01-01 12:00 UTC (J2000.0) in days since the Unix epoch.
_J2000_DAYS = 10_957.5


def sun_elevation(stamps_ns: FloatArray, latitude: float, longitude: float) -> FloatArray:
    """The sun's elevation above the horizon in degrees at UTC instants (ns since epoch)."""
    days = np.asarray(stamps_ns, dtype=np.float64) / _NS_PER_DAY - _J2000_DAYS
    mean_longitude = (280.460 + 0.9856474 * days) % 360.0
    anomaly = np.radians((357.528 + 0.9856003 * days) % 360.0)
    ecliptic = np.radians(mean_longitude + 1.915 * np.sin(anomaly) + 0.020 * np.sin(2.0 * anomaly))
    obliquity = np.radians(23.439 - 4e-7 * days)
    right_ascension = np.arctan2(np.cos(obliquity) * np.sin(ecliptic), np.cos(ecliptic))
    declination = np.arcsin(np.sin(obliquity) * np.sin(ecliptic))
    sidereal_hours = (18.697374558 + 24.06570982441908 * days) % 24.0
    hour_angle = np.radians(sidereal_hours * 15.0 + longitude) - right_ascension
    phi = np.radians(latitude)
    sine = np.sin(phi) * np.sin(declination) + np.cos(phi) * np.cos(declination) * np.cos(
        hour_angle
    )
    return np.asarray(np.degrees(np.arcsin(np.clip(sine, -1.0, 1.0))), dtype=np.float64)


def darkness(hours: pd.DatetimeIndex, latitude: float, longitude: float) -> FloatArray:
    """Share of each hour (starting at ``hours``, UTC) that is dark, from 0 to 1.

    Each of ``SAMPLES_PER_HOUR`` instants counts 1 below ``DARK_ELEVATION``, 0 above
    ``LIGHT_ELEVATION`` and linearly in between.
    """
    starts = np.asarray(hours.asi8, dtype=np.float64)
    minutes = (np.arange(SAMPLES_PER_HOUR) + 0.5) * (60.0 / SAMPLES_PER_HOUR)
    instants = starts[None, :] + minutes[:, None] * 60e9
    elevation = sun_elevation(instants, latitude, longitude)
    ramp = (LIGHT_ELEVATION - elevation) / (LIGHT_ELEVATION - DARK_ELEVATION)
    return np.asarray(np.clip(ramp, 0.0, 1.0).mean(axis=0), dtype=np.float64)
