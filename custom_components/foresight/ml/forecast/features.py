"""Engine-neutral feature columns, grouped so that each group can be explained on its own.

Every value a row sees is known at the forecast's issue time: a target hour ``lead`` hours
after issue uses lags ``shift = 24 * (lead // 24 + 1)`` hours back, which always end before
the issue time while keeping the same hour of day. Training rows are day-ahead forecasts
issued at the local 00:00 that starts their day, with the same rule (a shift of 24 hours,
48 for the 25th hour of the day daylight saving time ends). Only ``last_day_mean`` looks
at the issue time itself (the 24 hours before it), which for the first hours of the day is
more recent than the same-hour lags.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from .daylight import darkness
from .grid import HourlyGrid, carry_forward
from .local_calendar import calendar_columns

if TYPE_CHECKING:
    from .settings import ForecastSettings

type FloatArray = npt.NDArray[np.float64]
type IntArray = npt.NDArray[np.int64]

DAILY_PATTERN = "daily_pattern"
HOLIDAY = "holiday"
SEASON = "season"
RECENT_LEVEL = "recent_level"

WEEK_HOURS = 168
DAY_HOURS = 24
#: Hours of history before the first forecast hour that the lag features can reach.
LOOKBACK_HOURS = 4 * WEEK_HOURS + 2 * DAY_HOURS
#: "Away" gate: 1 when the last 24 hours used under AWAY_RATIO_LOW of the 28-day level, 0
#: above AWAY_RATIO_HIGH, linear in between; and the gate times three levels, so that a linear
#: model can weigh the recent past differently while the home is empty.
AWAY_COLUMNS = ("away", "away_lag_day", "away_same_hour_mean_7d", "away_last_day_mean")
LEVEL_COLUMNS = (
    "lag_day",
    "lag_week",
    "same_hour_mean_7d",
    "same_hour_mean_28d",
    "same_weekday_hour_mean_4w",
    "level_3d",
    "level_7d",
    "level_28d",
    # Robust and recency-weighted levels: the median is what the MAE rewards on spiky loads.
    "same_hour_ewm_28d",
    "same_hour_median_7d",
    "near_hour_median_7d",
    # Mean of the 24 hours before the issue time (yesterday's total for a 00:00 issue).
    "last_day_mean",
    *AWAY_COLUMNS,
)
#: Copies of the season's sine and cosine inside the recent-level group, so that the weight of
#: the recent past can change over the year while groups stay disjoint.
LEVEL_SEASON_COLUMNS = ("level_year_sin", "level_year_cos")
#: Day weight of ``same_hour_ewm_28d`` per day back (0.7: half the weight within 2 days).
EWM_DECAY = 0.7
#: Ratios of the last 24 hours' mean to the 28-day level between which the away gate goes
#: from 1 (away) to 0 (at home).
AWAY_RATIO_LOW = 0.3
AWAY_RATIO_HIGH = 0.6


@dataclass(frozen=True, slots=True)
class FeatureLayout:
    """Which raw columns exist and to which explanation group each belongs.

    Attributes:
        groups: Ordered ``(group name, column names)`` pairs.
        exogenous: Exogenous sensor names, each its own group.
    """

    groups: tuple[tuple[str, tuple[str, ...]], ...]
    exogenous: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """All column names in matrix order."""
        return tuple(name for _, columns in self.groups for name in columns)

    @property
    def group_names(self) -> tuple[str, ...]:
        """Group names in matrix order."""
        return tuple(group for group, _ in self.groups)

    def group_indices(self) -> dict[str, tuple[int, ...]]:
        """Column positions of each group in the feature matrix."""
        indices: dict[str, tuple[int, ...]] = {}
        start = 0
        for group, columns in self.groups:
            indices[group] = tuple(range(start, start + len(columns)))
            start += len(columns)
        return indices


def make_layout(
    exogenous: tuple[str, ...],
    *,
    with_holidays: bool,
    with_season: bool,
    with_daylight: bool = False,
) -> FeatureLayout:
    """Decide the feature groups for a home.

    ``with_daylight`` (the home's location is known) adds the hour's ``darkness`` to the
    season group; like the season, it needs most of a year of history to be told apart from
    a trend, so it comes only with the season group.
    """
    groups: list[tuple[str, tuple[str, ...]]] = [(DAILY_PATTERN, ("hour", "weekday"))]
    if with_holidays:
        groups.append((HOLIDAY, ("holiday_hour",)))
    if with_season:
        # The season group holds its own copy of the hour too, so that the daily profile can
        # change over the year (darker evenings in winter) within the season's part.
        daylight = ("darkness",) if with_daylight else ()
        groups.append((SEASON, ("year_sin", "year_cos", "season_hour", *daylight)))
    # The hour is repeated inside the level group so that the weight of the recent past can
    # depend on the hour (nights repeat, evenings vary) while groups stay disjoint; so is the
    # time of year when the season is used.
    level_season = LEVEL_SEASON_COLUMNS if with_season else ()
    groups.append((RECENT_LEVEL, (*LEVEL_COLUMNS, "level_hour", *level_season)))
    groups.extend((name, (f"{name}:now", f"{name}:mean_24h")) for name in exogenous)
    return FeatureLayout(groups=tuple(groups), exogenous=exogenous)


@dataclass(frozen=True, slots=True)
class FillValues:
    """Values that stand in for unknown inputs, learnt from the training rows.

    Attributes:
        target: Typical target value (median), used when no lag is known.
        features: Typical value (mean) of each exogenous sensor.
    """

    target: float
    features: dict[str, float]


def fill_values(grid: HourlyGrid, end: int) -> FillValues:
    """Learn fill values from the grid positions before ``end``."""
    target = grid.target[:end]
    known = target[np.isfinite(target)]
    features: dict[str, float] = {}
    for name, values in grid.features.items():
        finite = values[:end][np.isfinite(values[:end])]
        features[name] = float(finite.mean()) if finite.size else 0.0
    return FillValues(target=float(np.median(known)) if known.size else 0.0, features=features)


class _Window:
    """Constant-time means over windows of a series with gaps, from cumulative sums."""

    def __init__(self, values: FloatArray) -> None:
        finite = np.isfinite(values)
        self._sums = np.concatenate(([0.0], np.cumsum(np.where(finite, values, 0.0))))
        self._counts = np.concatenate(([0], np.cumsum(finite)))
        self._values = values

    def take(self, positions: IntArray) -> FloatArray:
        """Values at positions, NaN outside the series."""
        inside = (positions >= 0) & (positions < len(self._values))
        out = np.full(len(positions), np.nan)
        out[inside] = self._values[positions[inside]]
        return out

    def mean_ending_at(self, positions: IntArray, width: int) -> FloatArray:
        """Mean of the known values in ``(position - width, position]``, NaN if none."""
        end = np.clip(positions + 1, 0, len(self._values))
        start = np.clip(positions + 1 - width, 0, len(self._values))
        count = self._counts[end] - self._counts[start]
        total = self._sums[end] - self._sums[start]
        out = np.full(len(positions), np.nan)
        np.divide(total, count, out=out, where=count > 0)
        return out


def _first_known(*candidates: FloatArray, default: float) -> FloatArray:
    """Element-wise first finite value among the candidates, else the default."""
    out = np.full(len(candidates[0]), default)
    for candidate in reversed(candidates):
        out = np.where(np.isfinite(candidate), candidate, out)
    return out


def _mean_of_known(samples: FloatArray) -> FloatArray:
    """Column-wise mean of the finite values of a (samples, rows) array, NaN if none."""
    known = np.isfinite(samples)
    count = known.sum(axis=0)
    out = np.full(samples.shape[1], np.nan)
    np.divide(np.where(known, samples, 0.0).sum(axis=0), count, out=out, where=count > 0)
    return out


def _median_of_known(samples: FloatArray) -> FloatArray:
    """Column-wise median of the finite values of a (samples, rows) array, NaN if none.

    Sorting puts NaN last, so the median of the ``count`` known values sits at the middle of
    the first ``count`` sorted entries (much faster than ``np.nanmedian``).
    """
    ordered = np.sort(samples, axis=0)
    count = np.isfinite(samples).sum(axis=0)
    low = np.maximum((count - 1) // 2, 0)
    high = np.maximum(count // 2, 0)
    columns = np.arange(samples.shape[1])
    out = 0.5 * (ordered[low, columns] + ordered[np.minimum(high, len(samples) - 1), columns])
    return np.where(count > 0, out, np.nan)


def _weighted_mean_of_known(samples: FloatArray, weights: FloatArray) -> FloatArray:
    """Column-wise weighted mean of the finite values (weights per sample row), NaN if none."""
    known = np.isfinite(samples)
    total = (np.where(known, samples, 0.0) * weights[:, None]).sum(axis=0)
    norm = (known * weights[:, None]).sum(axis=0)
    out = np.full(samples.shape[1], np.nan)
    np.divide(total, norm, out=out, where=norm > 0)
    return out


def _level_columns(
    window: _Window, positions: IntArray, shifts: IntArray, issues: IntArray, fill: float
) -> list[FloatArray]:
    reference = positions - shifts
    same_hour = np.stack([window.take(reference - DAY_HOURS * day) for day in range(28)])
    same_weekday_hour = np.stack(
        [window.take(positions - WEEK_HOURS * week) for week in range(1, 5)]
    )
    # The hour before and after the target hour on the last 7 days: 21 samples of the level.
    near_hour = np.concatenate(
        [
            same_hour[:7],
            np.stack([window.take(reference - 1 - DAY_HOURS * day) for day in range(7)]),
            np.stack([window.take(reference + 1 - DAY_HOURS * day) for day in range(1, 8)]),
        ]
    )
    level_28d = _first_known(window.mean_ending_at(reference, 4 * WEEK_HOURS), default=fill)
    level_7d = _first_known(window.mean_ending_at(reference, WEEK_HOURS), level_28d, default=fill)
    level_3d = _first_known(window.mean_ending_at(reference, 3 * DAY_HOURS), level_7d, default=fill)
    same_hour_28d = _first_known(_mean_of_known(same_hour), level_28d, default=fill)
    same_hour_7d = _first_known(_mean_of_known(same_hour[:7]), same_hour_28d, default=fill)
    same_weekday = _first_known(_mean_of_known(same_weekday_hour), same_hour_28d, default=fill)
    ewm = _weighted_mean_of_known(same_hour, EWM_DECAY ** np.arange(28, dtype=np.float64))
    lag_day = _first_known(window.take(reference), same_hour_7d, default=fill)
    last_day = _first_known(window.mean_ending_at(issues - 1, DAY_HOURS), level_3d, default=fill)
    away = _away_gate(last_day, level_28d)
    return [
        lag_day,
        _first_known(window.take(positions - WEEK_HOURS), same_hour_7d, default=fill),
        same_hour_7d,
        same_hour_28d,
        same_weekday,
        level_3d,
        level_7d,
        level_28d,
        _first_known(ewm, same_hour_7d, default=fill),
        _first_known(_median_of_known(same_hour[:7]), same_hour_7d, default=fill),
        _first_known(_median_of_known(near_hour), same_hour_7d, default=fill),
        last_day,
        away,
        away * lag_day,
        away * same_hour_7d,
        away * last_day,
    ]


def _away_gate(last_day: FloatArray, level_28d: FloatArray) -> FloatArray:
    """1 for a last day far below the 28-day level, 0 near or above it (0 without a level)."""
    positive = level_28d > 0
    ratio = np.divide(last_day, level_28d, out=np.ones(len(level_28d)), where=positive)
    gate = (AWAY_RATIO_HIGH - ratio) / (AWAY_RATIO_HIGH - AWAY_RATIO_LOW)
    return np.where(positive, np.clip(gate, 0.0, 1.0), 0.0)


def local_midnights(grid: HourlyGrid, positions: IntArray, time_zone: str) -> IntArray:
    """Grid position of the local midnight that starts the day of each position."""
    if len(grid) == 0:
        return positions.copy()
    stamps = grid.index[0] + pd.to_timedelta(positions, unit="h")
    local = pd.DatetimeIndex(stamps).tz_convert(time_zone)
    since = (local - local.normalize()) // pd.Timedelta(hours=1)
    return (positions - np.asarray(since, dtype=np.int64)).astype(np.int64)


def build_features(
    grid: HourlyGrid,
    positions: IntArray,
    shifts: IntArray,
    layout: FeatureLayout,
    fills: FillValues,
    *,
    time_zone: str,
    country: str | None,
    subdivision: str | None = None,
    issues: IntArray | None = None,
    location: tuple[float, float] | None = None,
    carried: frozenset[str] = frozenset(),
) -> FloatArray:
    """Feature matrix (rows = positions, columns = ``layout.names``) without NaN.

    Args:
        grid: Hourly grid; exogenous values at the target hours must already hold what is
            known at issue time (forecast or last known value), except ``carried`` ones.
        positions: Grid positions of the target hours.
        shifts: Lag shift per row (a multiple of 24 that ends before the issue time).
        layout: Which groups and columns to build.
        fills: Stand-ins for unknown values.
        time_zone: Home's IANA time zone.
        country: Country for public holidays, or None.
        subdivision: Holiday subdivision, or None.
        issues: Grid position of each row's issue time (the first hour not known); by
            default the local midnight that starts the day of ``position - shift + 24``,
            i.e. a day-ahead forecast issued at local 00:00.
        location: The home's latitude and longitude (degrees), needed when the layout has
            the ``darkness`` column.
        carried: Sensors whose current value (``:now``) is read as their last known value
            before the row's issue time instead of the grid's value at the target hour: on a
            grid of observed values, what a forecast sees of a sensor it has no forecast of.

    Returns:
        The feature matrix.

    Raises:
        ValueError: The layout has the ``darkness`` column but no location is given.
    """
    calendar = calendar_columns(grid.index[positions], time_zone, country, subdivision)
    columns: dict[str, FloatArray] = {
        "hour": calendar.hour.astype(float),
        "level_hour": calendar.hour.astype(float),
        "season_hour": calendar.hour.astype(float),
        "weekday": calendar.weekday.astype(float),
        "holiday_hour": np.where(calendar.holiday, calendar.hour, -1).astype(float),
        "year_sin": np.sin(calendar.year_angle),
        "year_cos": np.cos(calendar.year_angle),
    }
    columns["level_year_sin"] = columns["year_sin"]
    columns["level_year_cos"] = columns["year_cos"]
    if "darkness" in layout.names:
        if location is None:
            msg = "the layout has the darkness column but no location was given"
            raise ValueError(msg)
        columns["darkness"] = darkness(grid.index[positions], *location)
    if issues is None:
        issues = local_midnights(grid, positions - shifts + DAY_HOURS, time_zone)
    levels = _level_columns(_Window(grid.target), positions, shifts, issues, fills.target)
    columns.update(zip(LEVEL_COLUMNS, levels, strict=True))
    for name in layout.exogenous:
        window = _Window(grid.features[name])
        fill = fills.features.get(name, 0.0)
        if name in carried:
            current = _Window(carry_forward(grid.features[name])).take(issues - 1)
        else:
            current = window.take(positions)
        now = _first_known(current, default=fill)
        mean_24h = _first_known(window.mean_ending_at(positions - shifts, DAY_HOURS), default=fill)
        columns[f"{name}:now"] = now
        columns[f"{name}:mean_24h"] = mean_24h
    return np.column_stack([columns[name] for name in layout.names]).astype(np.float64)


def day_ahead_features(
    grid: HourlyGrid,
    positions: IntArray,
    layout: FeatureLayout,
    fills: FillValues,
    settings: ForecastSettings,
    *,
    as_served: bool = False,
) -> FloatArray:
    """Rows as the day-ahead forecast issued at the local 00:00 that starts their day sees them.

    The shift follows ``predict``'s rule for the hours since the issue: 24, and 48 for the
    25th hour of the day daylight saving time ends (a shift of 24 would reach the issue hour).
    Training rows learn from each sensor's observed value at the target hour; ``as_served``
    gives them instead what a served forecast sees (the backtest's scored rows): the last
    value before the issue time of each sensor without a forecast (``forecast_columns``).
    """
    issues = local_midnights(grid, positions, settings.time_zone)
    shifts = (DAY_HOURS * ((positions - issues) // DAY_HOURS + 1)).astype(np.int64)
    return build_features(
        grid,
        positions,
        shifts,
        layout,
        fills,
        time_zone=settings.time_zone,
        country=settings.country,
        subdivision=settings.subdivision,
        issues=issues,
        location=settings.location,
        carried=frozenset(layout.exogenous) - set(settings.forecast_columns)
        if as_served
        else frozenset(),
    )
