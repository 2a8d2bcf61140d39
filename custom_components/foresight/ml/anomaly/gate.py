"""Score to on/off decision with a minimum duration and hysteresis.

A reading stands for one sampling interval, so durations are measured as "time since the first
reading of the streak, plus one interval": one hourly reading covers an hour, while a 5-second
sensor needs many consecutive readings to cover the same minimum duration. Where the evidence
has an onset (a stuck run, a CUSUM), the streak counts from it: a run of unchanged readings
scores high only once it is long, so waiting the minimum duration on top of that would count
its length twice.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .serial import datetime_from_json, datetime_to_json
from .status import AnomalyStatus, Explanation


@dataclass(slots=True)
class DecisionGate:
    """Online on/off state machine driven by a score in [0, 1].

    Attributes:
        on_score: Readings at or above count towards switching on.
        off_score: Readings below count towards switching off.
        instant_score: A reading at or above switches on at once.
        min_duration: Streak length needed to switch on.
        clear_after: Streak length needed to switch off.
        active: Whether an alarm is on.
        since: Start of the active alarm.
        high_since: Start of the current streak of high readings.
        low_since: Start of the current streak of low readings while on.
    """

    on_score: float
    off_score: float
    instant_score: float
    min_duration: timedelta
    clear_after: timedelta
    active: bool = False
    since: datetime | None = None
    high_since: datetime | None = None
    low_since: datetime | None = None

    def update(
        self, timestamp: datetime, score: float, step: timedelta, onset: datetime | None = None
    ) -> bool:
        """Feed one reading's score and return whether the alarm is on afterwards.

        Args:
            timestamp: Time of the reading.
            score: Its score in [0, 1].
            step: The sampling interval the reading stands for.
            onset: When the evidence behind the score started (e.g. a CUSUM's start); the
                alarm is dated back to it.

        Returns:
            The decision.
        """
        if not self.active:
            if score < self.on_score:
                self.high_since = None
                return False
            if self.high_since is None:
                self.high_since = timestamp
            start = min(self.high_since, onset) if onset else self.high_since
            covered = timestamp - start + step
            if covered >= self.min_duration or score >= self.instant_score:
                self.active = True
                self.since = start
                self.low_since = None
            return self.active
        if score >= self.off_score:
            self.low_since = None
            return True
        if self.low_since is None:
            self.low_since = timestamp
        if timestamp - self.low_since + step >= self.clear_after:
            self.clear()
        return self.active

    def status(self, moment: datetime, score: float, alarm: Explanation | None) -> AnomalyStatus:
        """The verdict after a reading: the alarm's explanation while on or while scoring high."""
        explanation = alarm if (self.active or score >= self.on_score) else None
        return AnomalyStatus(
            timestamp=moment,
            score=score,
            is_anomaly=self.active,
            since=self.since if self.active else None,
            explanation=explanation,
        )

    def clear(self) -> None:
        """Switch off at once (feedback: "this was normal")."""
        self.active = False
        self.since = None
        self.high_since = None
        self.low_since = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable state (the thresholds come from the settings)."""
        return {
            "active": self.active,
            "since": datetime_to_json(self.since),
            "high_since": datetime_to_json(self.high_since),
            "low_since": datetime_to_json(self.low_since),
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Load the state written by :meth:`to_dict`."""
        self.active = bool(state["active"])
        self.since = datetime_from_json(state["since"])
        self.high_since = datetime_from_json(state["high_since"])
        self.low_since = datetime_from_json(state["low_since"])
