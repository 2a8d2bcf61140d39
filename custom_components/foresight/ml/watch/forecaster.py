"""Train a short-horizon forecaster for one numeric sensor and forecast with it."""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from custom_components.foresight.ml.forecast.engines.threads import single_thread
from custom_components.foresight.ml.forecast.grid import check_frame

from .backtest import MODEL, WatchBacktest, run_backtest
from .baselines import BASELINE_GROUPS, baseline_changes
from .errors import NoRecentDataError, NotEnoughHistoryError
from .features import (
    DRIFT,
    RECENT_DAYS,
    DailyProfile,
    FeatureContext,
    build_context,
    column_groups,
    fit_profile,
    lead_features,
)
from .forecast import SensorForecast
from .grid import SensorGrid, build_grid, choose_step, usable_target
from .intervals import LeadIntervals
from .model import LeadModel, lead_buckets
from .settings import WatchSettings
from .training import fit_lead_model

type FloatArray = npt.NDArray[np.float64]
type IntArray = npt.NDArray[np.int64]

#: Usable history needed to train (hours with a known value).
MIN_HISTORY_HOURS = 48
#: Oldest newest-sample a forecast accepts; lead buckets reach this far past the horizon.
MAX_STALE_HOURS = 6
#: History a forecast reads before the issue time: the same clock interval on the last
#: ``RECENT_DAYS`` days, for leads up to three days past the origin, plus staleness.
CONTEXT = pd.Timedelta(days=RECENT_DAYS + 3)
#: How far back the start of the current rise or fall is looked for.
TREND_LOOKBACK_HOURS = 24

HOUR = pd.Timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class _Origin:
    """Where a forecast starts: grid position, its time and the age of the newest sample."""

    position: int
    stale_hours: float


class SensorForecaster:
    """Forecasts one sensor's next hours with P10/P50/P90 and additive explanations.

    Build it with :func:`fit_sensor_forecaster`; store it with :meth:`to_dict` and
    :meth:`from_dict` (see :mod:`.persistence`).

    Attributes:
        settings: Training settings.
        step: Grid step.
        model: Per-lead ridge coefficients.
        profile: Daily pattern.
        intervals: P10/P90 offsets per lead of the served predictor.
        serves_baseline: True when the model did not beat the best naive baseline.
        baseline_name: Best naive baseline (the one served when ``serves_baseline``).
        backtest: Holdout scores.
        trained_until: Last grid step of the training history.
    """

    def __init__(
        self,
        *,
        settings: WatchSettings,
        step: pd.Timedelta,
        model: LeadModel,
        profile: DailyProfile,
        intervals: LeadIntervals,
        serves_baseline: bool,
        baseline_name: str,
        backtest: WatchBacktest,
        trained_until: pd.Timestamp,
    ) -> None:
        """Assemble a forecaster from fitted parts (normally via :func:`fit_sensor_forecaster`)."""
        self.settings = settings
        self.step = step
        self.model = model
        self.profile = profile
        self.intervals = intervals
        self.serves_baseline = serves_baseline
        self.baseline_name = baseline_name
        self.backtest = backtest
        self.trained_until = trained_until

    @property
    def horizon_steps(self) -> int:
        """Steps a forecast covers."""
        return int(pd.Timedelta(hours=self.settings.horizon_hours) / self.step)

    def forecast(self, frame: pd.DataFrame, now: pd.Timestamp) -> SensorForecast:
        """Forecast the steps after ``now`` from the rows of ``frame`` at or before it.

        Args:
            frame: Recent raw samples in the project's frame convention; the last
                ``CONTEXT`` (8 days) are used, older rows are ignored. With less, the daily
                pattern leans on fewer days.
            now: Issue time (tz-aware). It may lie after the newest sample: the forecast then
                starts from the newest value, with leads (and intervals) that much longer, and
                its explanation says how old the value is.

        Returns:
            The forecast of the ``horizon_hours`` after ``now``.

        Raises:
            NoRecentDataError: No usable value within ``MAX_STALE_HOURS`` before ``now``
                (a ``ValueError``); an empty forecast is never returned.
            ValueError: ``now`` is naive or the frame breaks the convention.
        """
        check_frame(frame)
        if now.tzinfo is None:
            msg = "now must be time-zone aware"
            raise ValueError(msg)
        now = now.tz_convert("UTC")
        recent = frame[pd.DatetimeIndex(frame.index).tz_convert("UTC") > now - CONTEXT]
        grid = build_grid(recent, self.step, self.settings.feature_columns, end=now)
        origin = self._origin(recent, grid, now)
        first = now.floor(self.step) + self.step
        timestamps = pd.date_range(first, periods=self.horizon_steps, freq=self.step)
        leads = np.asarray((timestamps - grid.index[origin.position]) // self.step, np.int64)
        context = build_context(
            grid,
            self.settings.feature_columns,
            self.profile,
            self.settings.time_zone,
            int(leads.max()),
        )
        level = float(context.level[origin.position])
        contributions = self._contributions(context, grid, origin.position, leads)
        change = np.sum(list(contributions.values()), axis=0) if contributions else 0.0
        p50 = level + np.zeros(len(leads)) + change
        activity = abs(float(context.slopes[0][origin.position]))
        p10, p90 = self.intervals.bounds(p50, leads, activity)
        slope, since = _trend(context, grid, origin.position)
        return SensorForecast(
            issued_at=now,
            timestamps=timestamps,
            p10=p10,
            p50=p50,
            p90=p90,
            contributions=contributions,
            baseline=np.full(len(leads), level),
            current_value=level,
            time_zone=self.settings.time_zone,
            unit=self.settings.unit,
            served_baseline=self.baseline_name if self.serves_baseline else None,
            stale_hours=origin.stale_hours,
            trend_per_hour=slope,
            trend_since=since,
        )

    def _origin(self, frame: pd.DataFrame, grid: SensorGrid, now: pd.Timestamp) -> _Origin:
        usable = usable_target(frame)
        usable = usable[usable.index <= now]
        if usable.empty:
            raise NoRecentDataError(math.inf, MAX_STALE_HOURS)
        stale_hours = float((now - usable.index[-1]) / HOUR)
        if stale_hours > MAX_STALE_HOURS:
            raise NoRecentDataError(stale_hours, MAX_STALE_HOURS)
        known = np.flatnonzero(np.isfinite(grid.target))
        return _Origin(int(known[-1]), stale_hours)

    def _contributions(
        self, context: FeatureContext, grid: SensorGrid, origin: int, leads: IntArray
    ) -> dict[str, FloatArray]:
        """Signed contribution per group and step (from the model or the served baseline)."""
        origins = np.full(len(leads), origin, dtype=np.int64)
        if self.serves_baseline:
            group = BASELINE_GROUPS[self.baseline_name]
            if group is None:
                return {}
            return {group: baseline_changes(self.baseline_name, context, origins, leads, self.step)}
        intercepts, coefficients = self.model.at(leads)
        features = lead_features(context, origins, leads, grid.steps_per_hour)
        parts = features * coefficients
        groups = column_groups(self.settings.feature_columns)
        out: dict[str, FloatArray] = {}
        for column, group in enumerate(groups):
            out[group] = out.get(group, np.zeros(len(leads))) + parts[:, column]
        out[DRIFT] = intercepts
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable state (plain lists, numbers and strings; no pickle)."""
        from .persistence import forecaster_to_dict  # noqa: PLC0415  (avoids an import cycle)

        return forecaster_to_dict(self)

    @classmethod
    def from_dict(cls, data: Any) -> SensorForecaster:
        """Rebuild a forecaster from :meth:`to_dict` output.

        Raises:
            ValueError: The data is malformed, from another format version or inconsistent.
        """
        from .persistence import forecaster_from_dict  # noqa: PLC0415  (avoids an import cycle)

        return forecaster_from_dict(data)


def _trend(
    context: FeatureContext, grid: SensorGrid, origin: int
) -> tuple[float | None, pd.Timestamp | None]:
    """Slope of the last hour, and since when the level has kept moving that way."""
    slope = float(context.slopes[0][origin])
    if not math.isfinite(slope):
        return None, None
    hour = max(1, round(grid.steps_per_hour))
    sign = np.sign(slope)
    since = origin
    for _ in range(TREND_LOOKBACK_HOURS):
        earlier = since - hour
        if earlier < 0:
            break
        change = context.smooth[since] - context.smooth[earlier]
        if not (math.isfinite(change) and np.sign(change) == sign and change != 0):
            break
        since = earlier
    return slope, (grid.index[since] if since < origin else None)


def fit_sensor_forecaster(frame: pd.DataFrame, settings: WatchSettings) -> SensorForecaster:
    """Train a forecaster for one numeric sensor from its raw samples.

    Args:
        frame: Raw samples: tz-aware DatetimeIndex, ``target`` column, the settings'
            exogenous columns, optional boolean ``excluded``.
        settings: Time zone, horizon, exogenous columns, step (None: from the data), unit.

    Returns:
        The trained forecaster; check ``serves_baseline``.

    Raises:
        NotEnoughHistoryError: Under ``MIN_HISTORY_HOURS`` of usable data.
        ValueError: The frame breaks the convention.
    """
    check_frame(frame)
    with single_thread("watch"):  # small matrices: threads only fight over a shared CPU
        return _fit(frame, settings)


def _fit(frame: pd.DataFrame, settings: WatchSettings) -> SensorForecaster:
    step = (
        pd.Timedelta(minutes=settings.step_minutes)
        if settings.step_minutes is not None
        else choose_step(frame)
    )
    grid = build_grid(frame, step, settings.feature_columns)
    usable_hours = float(np.isfinite(grid.target).sum()) * (step / HOUR)
    if usable_hours < MIN_HISTORY_HOURS:
        raise NotEnoughHistoryError(int(usable_hours), MIN_HISTORY_HOURS)
    max_lead = int(pd.Timedelta(hours=settings.horizon_hours + MAX_STALE_HOURS) / step)
    leads = lead_buckets(max_lead)
    outcome = run_backtest(grid, settings.time_zone, settings.feature_columns, leads)
    profile = fit_profile(grid, settings.time_zone)
    context = build_context(grid, settings.feature_columns, profile, settings.time_zone, max_lead)
    model = fit_lead_model(grid, context, leads, len(grid))
    return SensorForecaster(
        settings=settings,
        step=step,
        model=model,
        profile=profile,
        intervals=outcome.intervals,
        serves_baseline=outcome.served != MODEL,
        baseline_name=outcome.result.best_baseline,
        backtest=outcome.result,
        trained_until=grid.index[-1],
    )
