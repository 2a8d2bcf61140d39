"""Expected bands per hour from a forecaster, produced the way an online system would.

The energy detector judges each hour against an expected band. Its own hour-of-week profile
is the fallback; a forecaster that sees the calendar, the recent level and exogenous sensors
can do better. :func:`rolling_expectations` replays such a forecaster over a frame strictly
online: a forecast issued at each local midnight covers that local day using only rows
before it, and the forecaster is refitted periodically on rows before the refit time. The
same bands serve to calibrate the detector on the training part
(``fit_energy_detector(frame, settings, expected=...)``) and to feed it afterwards.

This module does not import the forecast package: the caller passes a ``train`` callable
(e.g. ``lambda rows: train_forecaster(rows, ForecastSettings(time_zone=...))``).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
import math
from typing import Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from .status import Expectation

HISTORY_FOR_PREDICTION = timedelta(days=35)
"""Rows before the issue time handed to ``predict`` (the forecast's lags reach 30 days)."""
MIN_TRAIN = timedelta(days=14)
"""No forecaster is trained on less history (the forecast engine needs two weeks)."""


class BandForecast(Protocol):
    """What :func:`rolling_expectations` needs from a forecast."""

    @property
    def timestamps(self) -> pd.DatetimeIndex:
        """Start of each forecast hour."""
        ...

    @property
    def p10(self) -> npt.NDArray[np.float64]:
        """Low bound per hour."""
        ...

    @property
    def p50(self) -> npt.NDArray[np.float64]:
        """Median per hour."""
        ...

    @property
    def p90(self) -> npt.NDArray[np.float64]:
        """High bound per hour."""
        ...


class BandForecaster(Protocol):
    """What :func:`rolling_expectations` needs from a trained forecaster."""

    def predict(
        self,
        history: pd.DataFrame,
        issue_time: pd.Timestamp,
        future_features: pd.DataFrame | None = None,
        hours: int | None = None,
    ) -> BandForecast:
        """Forecast ``hours`` hours from the issue time using history before it."""
        ...


@dataclass(frozen=True, slots=True)
class RollingPlan:
    """How the forecaster is replayed.

    Attributes:
        time_zone: The household's zone; forecasts are issued at local midnight.
        refit_every: The forecaster is retrained this often (on rows before the refit).
        train_window: Most history a training sees (``None``: everything before).
    """

    time_zone: str
    refit_every: timedelta = timedelta(days=7)
    train_window: timedelta | None = None


def _local_midnight(moment: pd.Timestamp, zone: str, days: int = 0) -> pd.Timestamp:
    """Local midnight (as UTC) of the day containing ``moment``, ``days`` days later."""
    day = moment.tz_convert(zone).tz_localize(None).normalize() + pd.Timedelta(days=days)
    return day.tz_localize(zone, ambiguous=False, nonexistent="shift_forward").tz_convert("UTC")


class RollingExpectations:
    """Day-ahead bands from a forecaster that is retrained periodically, strictly online.

    Ask for the band of each hour in time order with :meth:`band`; the forecast for a local
    day is issued at its midnight from the rows before it (rows flagged ``excluded``, e.g.
    hours the detector found anomalous, are not learnt from), and the forecaster is retrained
    every ``plan.refit_every`` on the rows before the retraining time.
    """

    def __init__(self, train: Callable[[pd.DataFrame], BandForecaster], plan: RollingPlan) -> None:
        """Keep the training callable and the cadence; nothing is trained yet."""
        self._train = train
        self._plan = plan
        self._forecaster: BandForecaster | None = None
        self._trained_at: pd.Timestamp | None = None
        self._issue: pd.Timestamp | None = None
        self._day = pd.DataFrame()

    def day(self, frame: pd.DataFrame, moment: pd.Timestamp) -> pd.DataFrame:
        """Bands (``p10``, ``p50``, ``p90`` per UTC hour) of the local day of ``moment``.

        Only rows of ``frame`` before that day's local midnight are used. Empty while there
        are fewer than two weeks of rows before it.
        """
        zone = self._plan.time_zone
        issue = _local_midnight(moment, zone)
        if issue == self._issue:
            return self._day
        self._issue = issue
        self._day = pd.DataFrame({"p10": [], "p50": [], "p90": []})
        past = frame[frame.index < issue]
        if past.empty or issue - past.index[0] < MIN_TRAIN:
            return self._day
        due = self._trained_at is None or issue - self._trained_at >= self._plan.refit_every
        if self._forecaster is None or due:
            window = self._plan.train_window
            self._forecaster = self._train(
                past if window is None else past[past.index >= issue - window]
            )
            self._trained_at = issue
        hours = round((_local_midnight(moment, zone, 1) - issue) / pd.Timedelta(hours=1))
        history = past[past.index >= issue - HISTORY_FOR_PREDICTION]
        forecast = self._forecaster.predict(history, issue, hours=hours)
        self._day = pd.DataFrame(
            {"p10": forecast.p10, "p50": forecast.p50, "p90": forecast.p90},
            index=pd.DatetimeIndex(forecast.timestamps).tz_convert("UTC"),
            dtype=float,
        )
        return self._day

    def band(self, frame: pd.DataFrame, moment: pd.Timestamp) -> Expectation | None:
        """The band of the hour containing ``moment`` (see :meth:`day`), if any."""
        return expectation_at(self.day(frame, moment), moment)


def rolling_expectations(
    frame: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    train: Callable[[pd.DataFrame], BandForecaster],
    plan: RollingPlan,
) -> pd.DataFrame:
    """Day-ahead bands for every hour in ``[start, end)``, each using only earlier rows.

    This is :class:`RollingExpectations` over a fixed frame (nothing excluded on the way),
    e.g. to calibrate a detector on the training history.

    Args:
        frame: Input frame (UTC index, ``target``, feature columns, optional ``excluded``).
        start: First hour wanted (tz-aware).
        end: End (exclusive) of the hours wanted.
        train: Builds a forecaster from a frame of past rows.
        plan: Zone and refit cadence.

    Returns:
        Frame indexed by the UTC hour start with columns ``p10``, ``p50``, ``p90``; hours
        before two weeks of history exist are absent.
    """
    frame = frame.sort_index()
    rolling = RollingExpectations(train, plan)
    parts: list[pd.DataFrame] = []
    moment = start
    while moment < end:
        parts.append(rolling.day(frame, moment))
        moment = _local_midnight(moment, plan.time_zone, 1)
    parts = [part for part in parts if not part.empty]
    if not parts:
        return pd.DataFrame(
            {"p10": [], "p50": [], "p90": []}, index=pd.DatetimeIndex([], tz="UTC"), dtype=float
        )
    bands = pd.concat(parts)
    bands = bands[~bands.index.duplicated(keep="first")]
    return bands[(bands.index >= start) & (bands.index < end)]


def expectation_at(bands: pd.DataFrame, moment: pd.Timestamp) -> Expectation | None:
    """The band of the hour containing ``moment``, ``None`` when absent or not finite."""
    if bands.empty:
        return None
    hour = moment.tz_convert("UTC").floor("h")
    if hour not in bands.index:
        return None
    row = bands.loc[hour, ["p10", "p50", "p90"]].to_numpy(dtype=np.float64)
    p10, p50, p90 = (float(x) for x in row)
    if not all(math.isfinite(x) for x in (p10, p50, p90)):
        return None
    return Expectation(p10=p10, p50=p50, p90=p90)
