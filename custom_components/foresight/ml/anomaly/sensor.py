"""Anomalies of generic numeric sensors, alone or several together, at any sampling rate."""

from collections import deque
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
import math
from typing import Any

import numpy as np
import pandas as pd

from .channel import ChannelEvidence, ChannelState, learn_channel, segments, window_size
from .gate import DecisionGate
from .multivariate import MultivariateModel, fit_multivariate, sklearn_available
from .periods import Feedback
from .robust import FloatArray, evidence_to_score
from .serial import as_utc
from .settings import AnomalySettings, settings_from_dict, settings_to_dict
from .status import AnomalyKind, AnomalyStatus, Expectation, Explanation

STATE_VERSION = 1
RECENT_CAP = 720


def sensor_columns(frame: pd.DataFrame) -> list[str]:
    """The value columns of an input frame: ``target`` first, then the features."""
    return ["target", *[c for c in frame.columns if c not in {"target", "excluded"}]]


class SensorAnomalyDetector:
    """Online anomaly detector for one or several numeric sensors.

    Build it with :func:`fit_sensor_detector`, feed it with :meth:`update`, persist it with
    :meth:`to_dict` / :meth:`from_dict`.
    """

    def __init__(
        self,
        settings: AnomalySettings,
        channels: dict[str, ChannelState],
        step: timedelta,
        multivariate: MultivariateModel | None = None,
    ) -> None:
        """Assemble a detector from learnt parts (normally via :func:`fit_sensor_detector`)."""
        self.settings = settings
        self.channels = channels
        self.step = step
        self.multivariate = multivariate
        self.feedback = Feedback()
        # Span of the history the thresholds were learnt from (see continue_detector).
        self.history_hours = 0.0
        self._gate = DecisionGate(
            on_score=settings.on_score,
            off_score=settings.off_score,
            instant_score=settings.instant_score,
            min_duration=settings.min_duration,
            clear_after=settings.clear_after,
        )
        self._alarm: Explanation | None = None
        self._last_moment: datetime | None = None

    @property
    def is_anomaly(self) -> bool:
        """Whether an alarm is on."""
        return self._gate.active

    def update(
        self,
        timestamp: datetime,
        values: float | Mapping[str, float],
        expected: Expectation | None = None,
    ) -> AnomalyStatus:
        """Judge one reading (of one or several channels) and update the online state.

        Args:
            timestamp: Time of the reading.
            values: The target's value, or a mapping from column name to value (missing
                columns and NaN count as not reported).
            expected: Ignored for sensors (accepted for a uniform interface).

        Returns:
            The verdict, based on this reading and earlier ones only.
        """
        del expected  # sensors judge against their own recent behaviour
        moment = as_utc(timestamp)
        reading = {"target": float(values)} if isinstance(values, (int, float)) else values
        margin = self.settings.margin
        best: tuple[float, str, ChannelEvidence, float] | None = None
        for name, channel in self.channels.items():
            value = float(reading.get(name, math.nan))
            found = channel.update(moment, value, self.step, margin)
            if found is not None and (best is None or found.evidence > best[0]):
                best = (found.evidence, name, found, value)
        multivariate = self._multivariate_evidence(reading, margin)
        self._last_moment = moment
        if best is None:
            return self._status(moment, 0.0)
        evidence, name, found, value = best
        kind = found.kind
        if multivariate > evidence:
            evidence, kind = multivariate, AnomalyKind.MULTIVARIATE
        score = evidence_to_score(evidence)
        onset = found.since if kind is AnomalyKind.STUCK else None
        active = self._gate.update(moment, score, self.step, onset)
        if score >= self.settings.on_score:
            self._alarm = self._explain(
                kind, name, found=found, value=value, moment=moment, evidence=evidence
            )
        elif not active:
            self._alarm = None
        return self._status(moment, score)

    def _multivariate_evidence(self, reading: Mapping[str, float], margin: float) -> float:
        if self.multivariate is None:
            return 0.0
        row = np.array(
            [
                (float(reading.get(name, math.nan)) - ch.thresholds.center) / ch.thresholds.scale
                for name, ch in self.channels.items()
            ]
        )
        if not np.all(np.isfinite(row)):
            return 0.0
        return self.multivariate.evidence(row, margin)

    def _explain(
        self,
        kind: AnomalyKind,
        name: str,
        *,
        found: ChannelEvidence,
        value: float,
        moment: datetime,
        evidence: float,
    ) -> Explanation:
        thresholds = self.channels[name].thresholds
        since = found.since if kind is AnomalyKind.STUCK and found.since else moment
        if self._gate.active and self._gate.since is not None and kind is not AnomalyKind.STUCK:
            since = self._gate.since
        expected = value if kind is AnomalyKind.STUCK else found.expected
        return Explanation(
            kind=kind,
            since=since,
            timestamp=moment,
            expected=expected,
            actual=value,
            delta=value - expected if expected is not None else None,
            ratio=value / expected if expected else None,
            unusualness=evidence,
            duration=moment - since + self.step,
            channel=name,
            low=thresholds.low,
            high=thresholds.high,
            previous=found.previous,
        )

    def _status(self, moment: datetime, score: float) -> AnomalyStatus:
        return self._gate.status(moment, score, self._alarm)

    # -- feedback ----------------------------------------------------------------------------

    def mark_normal(self, start: datetime, end: datetime) -> None:
        """Feedback "this was normal": clear an alarm overlapping the span.

        A stuck alarm also teaches the channel that runs this long are fine. The span is
        recorded in ``feedback.normal``; a refit should include it.

        Args:
            start: Start of the span.
            end: End of the span (inclusive).
        """
        period = self.feedback.add(start, end, normal=True)
        since = self._gate.since
        if self._gate.active and since is not None and since <= period.end:
            if self._alarm is not None and self._alarm.kind is AnomalyKind.STUCK:
                moment = self._last_moment or period.end
                self.channels[self._alarm.channel].accept_stuck(moment, self.step)
            self._gate.clear()
            self._alarm = None

    def mark_abnormal(self, start: datetime, end: datetime) -> None:
        """Feedback "this was abnormal": record the span (excluded from any refit).

        Args:
            start: Start of the span.
            end: End of the span (inclusive).
        """
        self.feedback.add(start, end, normal=False)

    def continue_from(self, previous: SensorAnomalyDetector) -> None:
        """Take over the online state of the detector this one replaces (a daily retrain).

        The new thresholds apply from now on, but an alarm that is on stays on, feedback
        holds (a stuck run accepted as normal stays accepted), and each channel keeps the
        recent readings the previous detector had seen when they are newer than the history.
        From a detector of another step only the alarm and the feedback periods carry over:
        its thresholds and recent windows belong to its own pace.
        """
        self.feedback = previous.feedback
        self._gate.restore(previous._gate.to_dict())
        self._alarm = previous._alarm
        if previous._last_moment is not None and (
            self._last_moment is None or previous._last_moment > self._last_moment
        ):
            self._last_moment = previous._last_moment
        if previous.step != self.step:
            return
        for name, channel in self.channels.items():
            if (old := previous.channels.get(name)) is None:
                continue
            accepted = max(channel.thresholds.stuck_seconds, old.thresholds.stuck_seconds)
            channel.thresholds = replace(channel.thresholds, stuck_seconds=accepted)
            newer = channel.last_time is None or (
                old.last_time is not None and old.last_time >= channel.last_time
            )
            if newer:
                channel.recent = deque(list(old.recent)[-channel.window :])
                channel.last_value, channel.last_time = old.last_value, old.last_time
                channel.run_start = old.run_start

    # -- persistence -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable state; :meth:`from_dict` restores an equivalent detector."""
        return {
            "kind": "sensor",
            "version": STATE_VERSION,
            "settings": settings_to_dict(self.settings),
            "step": self.step.total_seconds(),
            "channels": {name: ch.to_dict() for name, ch in self.channels.items()},
            "multivariate": self.multivariate.to_dict() if self.multivariate else None,
            "feedback": self.feedback.to_dict(),
            "history_hours": self.history_hours,
            "gate": self._gate.to_dict(),
            "last_moment": self._last_moment.isoformat() if self._last_moment else None,
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> SensorAnomalyDetector:
        """Restore a detector saved with :meth:`to_dict`.

        Without scikit-learn (a backup restored on Home Assistant OS, which has no wheels for
        it) the multivariate part is dropped: its forest regrows with scikit-learn, and the
        per-channel detectors work without it.

        Raises:
            ValueError: If the state is not a sensor detector's of this version.
        """
        if state.get("kind") != "sensor" or state.get("version") != STATE_VERSION:
            msg = "not a sensor detector state of a known version"
            raise ValueError(msg)
        multivariate = state["multivariate"] if sklearn_available() else None
        detector = cls(
            settings=settings_from_dict(state["settings"]),
            channels={k: ChannelState.from_dict(v) for k, v in state["channels"].items()},
            step=timedelta(seconds=state["step"]),
            multivariate=MultivariateModel.from_dict(multivariate) if multivariate else None,
        )
        detector.feedback = Feedback.from_dict(state["feedback"])
        detector.history_hours = float(state.get("history_hours", 0.0))
        detector._gate.restore(state["gate"])
        last = state["last_moment"]
        detector._last_moment = datetime.fromisoformat(last) if last else None
        return detector


def _sampling_step(index: pd.DatetimeIndex) -> timedelta:
    seconds = np.diff(index.as_unit("ns").asi8) / 1e9
    seconds = seconds[seconds > 0]
    return timedelta(seconds=float(np.median(seconds)) if seconds.size else 60.0)


def fit_sensor_detector(
    frame: pd.DataFrame, settings: AnomalySettings | None = None
) -> SensorAnomalyDetector:
    """Learn what is normal for one or several sensors.

    Args:
        frame: Input frame (UTC index at any step, ``target``, optional feature columns and
            ``excluded``).
        settings: Detector settings; defaults when omitted.

    Returns:
        A detector ready for :meth:`SensorAnomalyDetector.update` on later readings; its
        recent windows are primed with the end of the frame.

    Raises:
        ValueError: If the index is not tz-aware or nothing is left to learn from.
    """
    settings = settings or AnomalySettings()
    if not isinstance(frame.index, pd.DatetimeIndex) or frame.index.tz is None:
        msg = "the frame needs a tz-aware DatetimeIndex"
        raise ValueError(msg)
    frame = frame.sort_index()
    if "excluded" in frame:
        frame = frame[~frame["excluded"].astype("boolean").fillna(value=False).to_numpy(bool)]
    if frame.empty:
        msg = "no rows to learn from"
        raise ValueError(msg)
    index = pd.DatetimeIndex(frame.index)
    step = _sampling_step(index)
    seconds = index.as_unit("ns").asi8 / 1e9
    names = sensor_columns(frame)
    channels: dict[str, ChannelState] = {}
    standardized: list[FloatArray] = []
    for name in names:
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64)
        thresholds = learn_channel(values, seconds, step.total_seconds())
        window = min(window_size(step), RECENT_CAP)
        state = ChannelState(thresholds=thresholds, window=window)
        _prime(state, index, values, window, step)
        channels[name] = state
        standardized.append((values - thresholds.center) / thresholds.scale)
    # The forest needs scikit-learn and at least two sensors; without them the per-channel
    # tests still run, so asking for it when it cannot be had is not an error.
    use_forest = settings.use_multivariate is not False and len(names) > 1 and sklearn_available()
    model = fit_multivariate(np.column_stack(standardized)) if use_forest else None
    detector = SensorAnomalyDetector(settings, channels, step, model)
    # As for energy: from the first to the last reading of the target, not the window's span.
    known = index[pd.to_numeric(frame["target"], errors="coerce").notna().to_numpy()]
    if len(known):
        span = (known[-1] - known[0]).total_seconds() + step.total_seconds()
        detector.history_hours = span / 3600
    return detector


def _prime(
    state: ChannelState,
    index: pd.DatetimeIndex,
    values: FloatArray,
    window: int,
    step: timedelta,
) -> None:
    """Start the online state where the history ends (recent window, run of equal values).

    As online, the recent window and the run hold only readings after the history's last gap.
    """
    finite = np.flatnonzero(np.isfinite(values))
    if finite.size == 0:
        return
    seconds = index.as_unit("ns").asi8[finite] / 1e9
    since_gap = segments(finite, seconds, step.total_seconds())[-1]
    state.recent = deque(values[since_gap[-window:]].tolist())
    last = int(finite[-1])
    state.last_value = float(values[last])
    state.last_time = as_utc(index[last])
    start = last
    while (
        start > since_gap[0]
        and math.isfinite(values[start - 1])
        and values[start - 1] == values[last]
    ):
        start -= 1
    state.run_start = as_utc(index[start])
