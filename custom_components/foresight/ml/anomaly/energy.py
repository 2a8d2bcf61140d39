"""Online anomalies of hourly energy or power, judged against the expected value per hour.

Four kinds of evidence are combined, each with a threshold learnt from the household's own
history (see :mod:`.energy_fit`):

* point: how far the hour lies above or below the expected median, in units of what is usual
  for that local hour of the day (its P99 and P1 distances), so one far-off hour (a
  night-time spike) is caught at once;
* floor: a value below anything the history shows (a dropout to near zero);
* CUSUM: the same per-hour deviations accumulated, so a deviation that is only moderate in
  every hour (a stuck-on appliance) builds up until it is clearly unusual;
* base load: the lowest hour of the last day against its usual level, so a base-load step
  over days is caught even when every hour looks ordinary;
* persistent excess: the smallest residual of the last three hours, less their range,
  in units of the recent spread of the residuals (:mod:`.persist`), so an appliance left on
  (the same extra power every hour) is caught after three hours even when none of them is far
  off on its own; its running sum catches a longer run whose windows each stay just below
  that threshold.

The expected median comes from the forecast engine when the caller passes a band, otherwise
from the self-contained :mod:`.profile`. Hours inside an alarm or marked abnormal are kept out
of the history the profile learns from, so an anomaly does not become the new normal by
itself; an alarm lasting longer than ``accept_after`` is taken as the new normal.
"""

from collections import deque
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
import math
from typing import Any

import numpy as np

from .baseload import (
    MIN_VALUES as MIN_BASE,
    WINDOW as BASE_WINDOW,
    base_reference,
    rolling_base,
)
from .cusum import CusumSide
from .gate import DecisionGate
from .periods import Feedback
from .persist import (
    HOURS as PERSIST_HOURS,
    SCALE_HOURS,
    SUM_CAP,
    SUM_SLACK,
    excess,
    spread_of,
)
from .profile import (
    HOURS_PER_WEEK,
    REFIT_HOURS,
    HourlyProfile,
    build_profile,
    local_slot,
    local_slots,
)
from .robust import evidence_to_score
from .serial import as_utc, float_from_json, float_to_json
from .settings import AnomalySettings, settings_from_dict, settings_to_dict
from .status import AnomalyKind, AnomalyStatus, Expectation, Explanation

STATE_VERSION = 4
"""Version 2 added the persistent-excess test, version 3 changed its statistic (flatness), so
a version-2 threshold would not fit it, version 4 added the running sum of the persistent
excess (its threshold and state); older states are refused (refit)."""
HOUR = timedelta(hours=1)
RATIO_FLOOR = 1e-9
CUSUM_LIMIT = 1.5
"""The CUSUM stops growing at 1.5 thresholds, so it drains within hours once things settle."""


@dataclass(frozen=True, slots=True)
class EnergyThresholds:
    """What is normal for this series, learnt from its history (before the sensitivity).

    Attributes:
        high_scale: Per local hour of day, the usual distance from the median to the P99.
        low_scale: Per local hour of day, the usual distance from the P1 to the median.
        band_high: Per local hour of day, the usual distance from the median to the P90.
        band_low: Per local hour of day, the usual distance from the P10 to the median.
        z_high: Point threshold above, in ``high_scale`` units.
        z_low: Point threshold below, in ``low_scale`` units.
        cusum_high: CUSUM threshold for sustained high hours.
        cusum_low: CUSUM threshold for sustained low hours.
        floor_value: The lowest value the history shows (its P0.1).
        floor_scale: How far below ``floor_value`` counts as one threshold.
        base_high: Threshold of the base-load rise, in base spreads.
        base_low: Threshold of the base-load fall.
        base_floor: Smallest base spread used.
        external: Whether the scales were learnt against external (forecast) bands; feed the
            detector such bands then (see :func:`.energy_fit.fit_energy_detector`).
        own_weight: Share of the own profile's band blended into an external band (0: the
            external band alone). Thresholds learnt against a blend must be fed the same.
        span: Judge against both the external band and the own profile: the expected
            median is the range between their two medians, so an hour counts as off only
            by how far it lies outside both (``own_weight`` is then unused).
        persist_high: Threshold of the persistent excess (see :mod:`.persist`); infinite
            disables the test.
        persist_spread: Residual spread (P90) of the whole history, used while fewer than
            two weeks of recent residuals are known.
        persist_floor: Smallest residual spread used.
        persist_sum_high: Threshold of the running sum of the persistent excess (see
            :func:`.persist.persist_sum_path`); infinite disables it.
    """

    high_scale: list[float]
    low_scale: list[float]
    band_high: list[float]
    band_low: list[float]
    z_high: float
    z_low: float
    cusum_high: float
    cusum_low: float
    floor_value: float
    floor_scale: float
    base_high: float
    base_low: float
    base_floor: float
    external: bool = False
    own_weight: float = 0.0
    span: bool = False
    persist_high: float = math.inf
    persist_spread: float = 1.0
    persist_floor: float = 1e-9
    persist_sum_high: float = math.inf

    def deviation(self, residual: float, hour_of_day: int) -> float:
        """A residual in units of the usual P99 (P1) distance for that hour."""
        scale = self.high_scale if residual >= 0 else self.low_scale
        return residual / scale[hour_of_day]

    def band_deviation(self, residual: float, hour_of_day: int) -> float:
        """A residual in units of the usual P90 (P10) distance for that hour."""
        scale = self.band_high if residual >= 0 else self.band_low
        return residual / scale[hour_of_day]


class EnergyAnomalyDetector:
    """Online anomaly detector for an hourly energy or power series.

    Build it with :func:`fit_energy_detector`, feed it one hour at a time with
    :meth:`update`, persist it with :meth:`to_dict` / :meth:`from_dict`.
    """

    def __init__(self, settings: AnomalySettings, thresholds: EnergyThresholds) -> None:
        """Create a detector with an empty history; the fit fills it."""
        self.settings = settings
        self.thresholds = thresholds
        self.feedback = Feedback()
        # Span of the history the thresholds were learnt from (see continue_detector).
        self.history_hours = 0.0
        self._zone = settings.zone
        self._gate = DecisionGate(
            on_score=settings.on_score,
            off_score=settings.off_score,
            instant_score=settings.instant_score,
            min_duration=settings.min_duration,
            clear_after=settings.clear_after,
        )
        self._high = CusumSide()
        self._low = CusumSide()
        keep = settings.history_weeks * HOURS_PER_WEEK
        self._hours: deque[int] = deque(maxlen=keep)
        self._values: deque[float] = deque(maxlen=keep)
        self._learn: deque[bool] = deque(maxlen=keep)
        # Dropouts would drag the base load down for a day: they do not define it.
        self._outlier: deque[bool] = deque(maxlen=keep)
        self._profile: HourlyProfile | None = None
        self._profile_hour: int | None = None
        self._base = (math.nan, thresholds.base_floor)
        self._base_shift = 0.0
        self._alarm: Explanation | None = None
        # Residuals against the expected median of the last four weeks (persistent excess).
        self._res_hours: deque[int] = deque(maxlen=SCALE_HOURS)
        self._res_values: deque[float] = deque(maxlen=SCALE_HOURS)
        self._res_expected: deque[float] = deque(maxlen=SCALE_HOURS)
        self._persist = 0.0
        # Running sum of the persistent excess (a long run just below its threshold).
        self._persist_sum = CusumSide()
        self._persist_sum_evidence = 0.0

    @property
    def is_anomaly(self) -> bool:
        """Whether an alarm is on."""
        return self._gate.active

    # -- history -----------------------------------------------------------------------------

    def remember(self, hour: int, value: float, *, learn: bool, outlier: bool = False) -> None:
        """Append one hour to the history (ignored unless later than the last one).

        Args:
            hour: Hours since the Unix epoch.
            value: The hour's value.
            learn: Whether the profile may learn from it.
            outlier: Whether it was far too low (a dropout, kept out of the base load).
        """
        if self._hours and hour <= self._hours[-1]:
            return
        self._hours.append(hour)
        self._values.append(value)
        self._learn.append(learn)
        self._outlier.append(outlier)

    def remember_residual(self, hour: int, residual: float, expected: float) -> None:
        """Append one hour's residual against the expected median (ignored unless later)."""
        if self._res_hours and hour <= self._res_hours[-1]:
            return
        self._res_hours.append(hour)
        self._res_values.append(residual)
        self._res_expected.append(expected)

    def _persistent_excess(self, hour: int, value: float, expected: float) -> float:
        """Excess of the last hours (all present; :func:`.persist.excess`) over the spread.

        NaN when one of the hours is missing (0.0 when the test is disabled).
        """
        t = self.thresholds
        if not math.isfinite(t.persist_high):
            return 0.0
        recent = [
            r for h, r in zip(self._res_hours, self._res_values, strict=True)
            if h >= hour - SCALE_HOURS
        ]  # fmt: skip
        spread = spread_of(recent, t.persist_spread, t.persist_floor)
        residuals, values = [value - expected], [value]
        for back in range(1, PERSIST_HOURS):
            position = len(self._res_hours) - back
            if position < 0 or self._res_hours[position] != hour - back:
                return math.nan
            residuals.append(self._res_values[position])
            values.append(self._res_values[position] + self._res_expected[position])
        if not all(math.isfinite(r) for r in residuals):
            return math.nan
        return excess(residuals, values) / spread

    def _grid(self, first: int, last: int, *, learn_only: bool) -> np.ndarray:
        """History values on an hourly grid ``[first, last]`` (NaN where absent)."""
        grid = np.full(last - first + 1, np.nan)
        for hour, value, learn in zip(self._hours, self._values, self._learn, strict=True):
            if first <= hour <= last and (learn or not learn_only):
                grid[hour - first] = value
        return grid

    def _refresh(self, hour: int) -> None:
        if self._profile_hour is not None and 0 <= hour - self._profile_hour < REFIT_HOURS:
            return
        hours = np.fromiter(self._hours, dtype=np.int64, count=len(self._hours))
        values = np.fromiter(self._values, dtype=np.float64, count=len(self._values))
        learn = np.fromiter(self._learn, dtype=bool, count=len(self._learn))
        slots, hods = local_slots(hours, self._zone)
        learnable = np.where(learn, values, np.nan)
        weeks = self.settings.history_weeks
        self._profile = build_profile(hours, learnable, slots, hods, now_hour=hour, weeks=weeks)
        self._profile_hour = hour
        first = hour - weeks * HOURS_PER_WEEK
        base = rolling_base(self._grid(first, hour - 1, learn_only=True))
        self._base = base_reference(base, self.thresholds.base_floor)

    def expectation(self, timestamp: datetime) -> Expectation | None:
        """The self-contained model's band for the hour containing ``timestamp``."""
        hour = _hour_of(timestamp)
        self._refresh(hour)
        if self._profile is None:
            return None
        slot, hod = self._local(hour)
        return self._profile.expect(slot, hod)

    def _band(
        self, moment: datetime, expected: Expectation | None, value: float
    ) -> Expectation | None:
        """The band an hour is judged against: external, own, or a combination of both."""
        t = self.thresholds
        if expected is not None and t.own_weight <= 0.0 and not t.span:
            return expected
        own = self.expectation(moment)
        if expected is None or own is None:
            return expected if own is None else own
        if t.span:
            return span(expected, own, value)
        return blend(expected, own, t.own_weight)

    def _local(self, hour: int) -> tuple[int, int]:
        return local_slot(hour, self._zone)

    def _current_base(self, hour: int, value: float) -> float:
        """Lowest value of the last 24 hours including this one (NaN if too few)."""
        recent = [value]
        history = zip(
            reversed(self._hours), reversed(self._values), reversed(self._outlier), strict=True
        )
        for past, past_value, outlier in history:
            if past <= hour - BASE_WINDOW:
                break
            if past < hour and not outlier:
                recent.append(past_value)
        return float(rolling_base(np.array(recent))[-1]) if len(recent) >= MIN_BASE else math.nan

    # -- scoring -----------------------------------------------------------------------------

    def update(
        self, timestamp: datetime, value: float, expected: Expectation | None = None
    ) -> AnomalyStatus:
        """Judge one hour and update the online state.

        Args:
            timestamp: Start of the hour (any aware time inside it works).
            value: The hour's energy or mean power; NaN for a missing hour.
            expected: The forecast engine's band for this hour; the own profile otherwise.

        Returns:
            The verdict for this hour, based on it and earlier hours only.
        """
        moment = as_utc(timestamp)
        hour = _hour_of(moment)
        band = self._band(moment, expected, value)
        self._refresh(hour)
        if band is None or not math.isfinite(value):
            if math.isfinite(value):
                self.remember(hour, value, learn=not self.feedback.is_abnormal(moment))
            return self._status(moment, 0.0)

        evidence = self._evidence(moment, hour, value, band)
        self.remember_residual(hour, value - band.p50, band.p50)
        score = evidence_to_score(max(evidence.values()))
        kind = _shape(evidence)
        onset = self._onset(kind, moment)
        was_active = self._gate.active
        active = self._gate.update(moment, score, HOUR, onset)
        if score >= self.settings.on_score:
            self._alarm = self._explain(kind, moment, value, band, max(evidence.values()))
        elif not active:
            self._alarm = None
        if was_active and not active:
            self._high.reset()
            self._low.reset()
            self._persist_sum.reset()
        learn = not active and score < self.settings.on_score
        self.remember(
            hour,
            value,
            learn=learn and not self.feedback.is_abnormal(moment),
            outlier=evidence[AnomalyKind.DROP] >= 1.0,
        )
        since = self._gate.since
        if active and since is not None and moment - since >= self.settings.accept_after:
            self._accept(since, moment)
        return self._status(moment, score)

    def _evidence(
        self, moment: datetime, hour: int, value: float, band: Expectation
    ) -> dict[AnomalyKind, float]:
        t = self.thresholds
        margin = self.settings.margin
        _, hod = self._local(hour)
        z = t.deviation(value - band.p50, hod)
        zc = t.band_deviation(value - band.p50, hod)
        # Less than usual is news only below what the home always draws (its usual base):
        # a dropout or something always-on that stopped, not a quiet evening or a day out.
        low_side = self._below_base(value)
        self._high.update(moment, zc, value, band.p50, CUSUM_LIMIT * t.cusum_high * margin)
        self._low.update(
            moment, -zc if low_side else 0.0, value, band.p50, CUSUM_LIMIT * t.cusum_low * margin
        )
        below_floor = max(t.floor_value - value, 0.0) / (t.floor_scale * margin)
        statistic = self._persistent_excess(hour, value, band.p50)
        self._persist = max(statistic, 0.0) / (t.persist_high * margin)  # NaN -> 0.0
        self._persist_sum_evidence = 0.0
        if math.isfinite(t.persist_sum_high):
            if math.isnan(statistic):
                self._persist_sum.reset()
            else:
                limit = CUSUM_LIMIT * t.persist_sum_high * margin
                self._persist_sum.update(
                    moment, statistic, value, band.p50, limit, slack=SUM_SLACK, cap=SUM_CAP
                )
            self._persist_sum_evidence = self._persist_sum.value / (t.persist_sum_high * margin)
        evidence = {
            AnomalyKind.SPIKE: max(z, 0.0) / (t.z_high * margin),
            AnomalyKind.DROP: max(
                max(-z, 0.0) / (t.z_low * margin) if low_side else 0.0, below_floor
            ),
            AnomalyKind.SUSTAINED_HIGH: max(
                self._high.value / (t.cusum_high * margin),
                self._persist,
                self._persist_sum_evidence,
            ),
            AnomalyKind.SUSTAINED_LOW: self._low.value / (t.cusum_low * margin),
            AnomalyKind.BASE_LOAD: 0.0,
        }
        reference, spread = self._base
        current = self._current_base(hour, value)
        if math.isfinite(reference) and math.isfinite(current):
            shift = (current - reference) / spread
            limit = t.base_high if shift >= 0 else t.base_low
            evidence[AnomalyKind.BASE_LOAD] = abs(shift) / (limit * margin)
            self._base_shift = current - reference
        return evidence

    def _below_base(self, value: float) -> bool:
        """Whether a reading lies below the home's usual base load (True before one is known).

        A home whose usual base is (nearly) zero, such as one with solar panels metered at the
        grid, has nothing below it: there a reading counts when it is near zero itself, under
        the smallest base spread trusted, so a dropout still shows.
        """
        reference = self._base[0]
        if not math.isfinite(reference):
            return True
        return value < max(reference, self.thresholds.base_floor)

    def _sustained_source(self) -> str:
        """Which sustained-high evidence is largest: ``cusum``, ``persist`` or ``persist_sum``."""
        cusum = self._high.value / self._cusum_threshold() if self._high.count else -1.0
        sources = {"cusum": cusum, "persist": self._persist, "persist_sum": -1.0}
        if self._persist_sum.count:
            sources["persist_sum"] = self._persist_sum_evidence
        return max(sources, key=sources.__getitem__)

    def _onset(self, kind: AnomalyKind, moment: datetime) -> datetime | None:
        match kind:
            case AnomalyKind.SUSTAINED_HIGH:
                source = self._sustained_source()
                if source == "persist_sum" and self._persist_sum.since is not None:
                    return self._persist_sum.since - (PERSIST_HOURS - 1) * HOUR
                if self._persist >= 1.0 and self._high.value / self._cusum_threshold() < 1.0:
                    return moment - (PERSIST_HOURS - 1) * HOUR
                return self._high.since
            case AnomalyKind.SUSTAINED_LOW:
                return self._low.since
            case AnomalyKind.BASE_LOAD:
                return moment - (BASE_WINDOW - 1) * HOUR
            case _:
                return None

    def _cusum_threshold(self) -> float:
        return self.thresholds.cusum_high * self.settings.margin

    def _explain(
        self,
        kind: AnomalyKind,
        moment: datetime,
        value: float,
        band: Expectation,
        evidence: float,
    ) -> Explanation:
        duration: timedelta | None = None
        source = self._sustained_source() if kind is AnomalyKind.SUSTAINED_HIGH else ""
        if source == "persist_sum":
            # The running sum of the persistent excess: since its first window began.
            since = (self._persist_sum.since or moment) - (PERSIST_HOURS - 1) * HOUR
            actual, expected = self._persist_sum.means()
            duration = moment - since + HOUR
        elif source == "persist":
            # The persistent-excess test: the last few hours.
            count = min(PERSIST_HOURS, len(self._res_values))
            since = moment - (count - 1) * HOUR
            actual = expected = 0.0
            for back in range(1, count + 1):
                actual += self._res_values[-back] + self._res_expected[-back]
                expected += self._res_expected[-back]
            actual, expected = actual / max(count, 1), expected / max(count, 1)
            duration = moment - since + HOUR
        elif kind in {AnomalyKind.SUSTAINED_HIGH, AnomalyKind.SUSTAINED_LOW}:
            side = self._high if kind is AnomalyKind.SUSTAINED_HIGH else self._low
            since = side.since or moment
            actual, expected = side.means()
            duration = moment - since + HOUR
        elif kind is AnomalyKind.BASE_LOAD:
            since = self._gate.since or (moment - (BASE_WINDOW - 1) * HOUR)
            expected = self._base[0]
            actual = expected + self._base_shift
            duration = moment - since + HOUR
        else:
            since = self._gate.since if self._gate.active and self._gate.since else moment
            actual, expected = value, band.p50
        return Explanation(
            kind=kind,
            since=since,
            timestamp=moment,
            expected=expected,
            actual=actual,
            delta=actual - expected,
            ratio=actual / expected if abs(expected) > RATIO_FLOOR else None,
            unusualness=evidence,
            duration=duration,
            low=band.p10,
            high=band.p90,
        )

    def _status(self, moment: datetime, score: float) -> AnomalyStatus:
        return self._gate.status(moment, score, self._alarm)

    # -- feedback ----------------------------------------------------------------------------

    def mark_normal(self, start: datetime, end: datetime) -> None:
        """Feedback "this was normal": learn from the span and clear an alarm overlapping it.

        Args:
            start: Start of the span.
            end: End of the span (inclusive).
        """
        period = self.feedback.add(start, end, normal=True)
        self._set_learn(_hour_of(period.start), _hour_of(period.end), learn=True)
        since = self._gate.since
        if self._gate.active and since is not None and since <= period.end:
            self._clear()

    def mark_abnormal(self, start: datetime, end: datetime) -> None:
        """Feedback "this was abnormal": never learn from the span.

        The glue also drops the span from forecast training (see ``feedback.abnormal`` and
        :func:`.periods.period_mask`).

        Args:
            start: Start of the span.
            end: End of the span (inclusive).
        """
        period = self.feedback.add(start, end, normal=False)
        self._set_learn(_hour_of(period.start), _hour_of(period.end), learn=False)

    def continue_from(self, previous: EnergyAnomalyDetector) -> None:
        """Take over the online state of the detector this one replaces (a daily retrain).

        A retrain learns new thresholds from the history, but what the previous detector
        had found online stays true: an alarm that is on stays on (with its start and its
        accumulated evidence), hours it kept out of learning stay out, its feedback holds,
        and hours it scored after this one's history are appended.
        """
        self.feedback = previous.feedback
        self._gate.restore(previous._gate.to_dict())
        self._high = CusumSide.from_dict(previous._high.to_dict())
        self._low = CusumSide.from_dict(previous._low.to_dict())
        self._persist_sum = CusumSide.from_dict(previous._persist_sum.to_dict())
        self._alarm = previous._alarm
        judged = {
            hour: (learn, outlier)
            for hour, learn, outlier in zip(
                previous._hours, previous._learn, previous._outlier, strict=True
            )
        }
        for position, hour in enumerate(self._hours):
            if hour in judged:
                learn, outlier = judged[hour]
                self._learn[position] = self._learn[position] and learn
                self._outlier[position] = self._outlier[position] or outlier
        # Both ignore the hours this detector already has.
        for hour, value, learn, outlier in zip(
            previous._hours, previous._values, previous._learn, previous._outlier, strict=True
        ):
            self.remember(hour, value, learn=learn, outlier=outlier)
        for hour, residual, expected in zip(
            previous._res_hours, previous._res_values, previous._res_expected, strict=True
        ):
            self.remember_residual(hour, residual, expected)
        for period in self.feedback.normal:
            self._set_learn(_hour_of(period.start), _hour_of(period.end), learn=True)
        self._profile_hour = None

    def _accept(self, start: datetime, end: datetime) -> None:
        """Take a long-lasting alarm as the new normal (seasons, a new appliance)."""
        self._set_learn(_hour_of(start), _hour_of(end), learn=True)
        self._clear()

    def _clear(self) -> None:
        self._gate.clear()
        self._high.reset()
        self._low.reset()
        self._persist_sum.reset()
        self._alarm = None

    def _set_learn(self, first: int, last: int, *, learn: bool) -> None:
        for position, hour in enumerate(self._hours):
            if first <= hour <= last:
                abnormal = self.feedback.is_abnormal(_moment_of(hour))
                self._learn[position] = learn and not abnormal
        self._profile_hour = None  # refit with the corrected history

    # -- persistence -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable state; :meth:`from_dict` restores an equivalent detector."""
        return {
            "kind": "energy",
            "version": STATE_VERSION,
            "settings": settings_to_dict(self.settings),
            "thresholds": asdict(self.thresholds),
            "feedback": self.feedback.to_dict(),
            "history_hours": self.history_hours,
            "gate": self._gate.to_dict(),
            "high": self._high.to_dict(),
            "low": self._low.to_dict(),
            "persist_sum": self._persist_sum.to_dict(),
            "hours": list(self._hours),
            "values": [float_to_json(v) for v in self._values],
            "learn": list(self._learn),
            "outlier": list(self._outlier),
            "residual_hours": list(self._res_hours),
            "residuals": [float_to_json(v) for v in self._res_values],
            "residual_expected": [float_to_json(v) for v in self._res_expected],
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> EnergyAnomalyDetector:
        """Restore a detector saved with :meth:`to_dict`.

        Raises:
            ValueError: If the state is not an energy detector's of this version.
        """
        if state.get("kind") != "energy" or state.get("version") != STATE_VERSION:
            msg = "not an energy detector state of a known version"
            raise ValueError(msg)
        detector = cls(
            settings_from_dict(state["settings"]), EnergyThresholds(**state["thresholds"])
        )
        detector.feedback = Feedback.from_dict(state["feedback"])
        detector.history_hours = float(state.get("history_hours", 0.0))
        detector._gate.restore(state["gate"])
        detector._high = CusumSide.from_dict(state["high"])
        detector._low = CusumSide.from_dict(state["low"])
        detector._persist_sum = CusumSide.from_dict(state["persist_sum"])
        detector._hours.extend(int(h) for h in state["hours"])
        detector._values.extend(float_from_json(v) for v in state["values"])
        detector._learn.extend(bool(x) for x in state["learn"])
        detector._outlier.extend(bool(x) for x in state["outlier"])
        detector._res_hours.extend(int(h) for h in state["residual_hours"])
        detector._res_values.extend(float_from_json(v) for v in state["residuals"])
        detector._res_expected.extend(float_from_json(v) for v in state["residual_expected"])
        return detector


SUSTAINED_KINDS = (AnomalyKind.BASE_LOAD, AnomalyKind.SUSTAINED_HIGH, AnomalyKind.SUSTAINED_LOW)


def _shape(evidence: dict[AnomalyKind, float]) -> AnomalyKind:
    """The kind that best describes the reading.

    A lasting shift explains more than "this hour is high": once sustained evidence is past
    its threshold it names the anomaly, even when the hour alone is further off; a moved
    base load is the most specific of those.
    """
    for kind in SUSTAINED_KINDS:
        if evidence[kind] >= 1.0:
            return kind
    return max(evidence, key=evidence.__getitem__)


def blend(external: Expectation, own: Expectation, own_weight: float) -> Expectation:
    """Weighted mean of two bands (``own_weight`` on the second)."""
    keep = 1.0 - own_weight
    return Expectation(
        p10=keep * external.p10 + own_weight * own.p10,
        p50=keep * external.p50 + own_weight * own.p50,
        p90=keep * external.p90 + own_weight * own.p90,
    )


def span(external: Expectation, own: Expectation, value: float) -> Expectation:
    """Both bands at once, judged by how far ``value`` lies outside both medians.

    The median is the point of the range between the two medians nearest to ``value``
    (``value`` itself when it lies inside), the band is the union of both bands.
    """
    low, high = sorted((external.p50, own.p50))
    median = min(max(value, low), high) if math.isfinite(value) else 0.5 * (low + high)
    return Expectation(
        p10=min(external.p10, own.p10, median),
        p50=median,
        p90=max(external.p90, own.p90, median),
    )


def _hour_of(moment: datetime) -> int:
    return int(as_utc(moment).timestamp() // 3600)


def _moment_of(hour: int) -> datetime:
    return datetime.fromtimestamp(hour * 3600, tz=UTC)
