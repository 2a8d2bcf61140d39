"""What a detector reports for each reading: score, decision and explanation as data."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class AnomalyKind(StrEnum):
    """The likely shape of an anomaly."""

    SPIKE = "spike"
    """One reading far above the expected band (energy)."""
    DROP = "drop"
    """One reading far below the expected band, e.g. a dropout to near zero (energy)."""
    SUSTAINED_HIGH = "sustained_high"
    """Moderately high for a while: a stuck-on appliance or a base-load step (energy)."""
    SUSTAINED_LOW = "sustained_low"
    """Moderately low for a while (energy)."""
    BASE_LOAD = "base_load"
    """The lowest load of the day moved: something that no longer switches off (energy)."""
    STUCK = "stuck"
    """The value stopped changing for far longer than usual (sensor)."""
    JUMP = "jump"
    """A change between two readings larger than ever seen (sensor)."""
    OUT_OF_RANGE = "out_of_range"
    """A value well outside the range seen in the history (sensor)."""
    DEVIATION = "deviation"
    """A value far from the recent behaviour of the sensor (sensor)."""
    MULTIVARIATE = "multivariate"
    """An unusual combination of several sensors (sensor, scikit-learn)."""


@dataclass(frozen=True, slots=True)
class Expectation:
    """The expected band for one reading: P10, median and P90.

    The forecast engine provides one per hour; the detectors' own models provide one when it
    does not.
    """

    p10: float
    p50: float
    p90: float


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a reading or a period looks anomalous, as data.

    Attributes:
        kind: The likely shape.
        since: When the anomalous behaviour started (UTC).
        timestamp: The reading this explanation was made for (UTC).
        expected: What was expected (the median of the band, or the usual value).
        actual: What happened (the reading, or the mean over the period for sustained kinds).
        delta: ``actual - expected`` in the sensor's unit.
        ratio: ``actual / expected`` when the expectation is meaningfully non-zero.
        unusualness: Evidence as a multiple of the threshold (1 = just at the threshold).
        duration: How long it has lasted (sustained and stuck kinds).
        channel: Which column it concerns (``"target"`` or a feature name).
        low: Lower end of the usual band or range, when known.
        high: Upper end of the usual band or range, when known.
        previous: The reading before (jumps).
    """

    kind: AnomalyKind
    since: datetime
    timestamp: datetime
    expected: float | None
    actual: float | None
    delta: float | None = None
    ratio: float | None = None
    unusualness: float = 0.0
    duration: timedelta | None = None
    channel: str = "target"
    low: float | None = None
    high: float | None = None
    previous: float | None = None


@dataclass(frozen=True, slots=True)
class AnomalyStatus:
    """The detector's verdict after one reading.

    Attributes:
        timestamp: The reading's time (UTC).
        score: 0 (ordinary) to 1 (certainly anomalous); 0.5 means just at the threshold.
        is_anomaly: The decision after minimum duration and hysteresis.
        since: When the active anomaly started, ``None`` while there is none.
        explanation: Why the score is high or the alarm is on, ``None`` when neither.
    """

    timestamp: datetime
    score: float
    is_anomaly: bool
    since: datetime | None
    explanation: Explanation | None

    def describe(self, unit: str = "", time_zone: str = "UTC") -> str:
        """Say in one sentence what is going on.

        Args:
            unit: Unit of the values, e.g. ``"kW"``.
            time_zone: IANA zone for local times in the text.

        Returns:
            The explanation as text, or a short "nothing unusual" sentence.
        """
        from .explain import explain_text  # noqa: PLC0415 - the text layer builds on this one

        if self.explanation is None:
            return "Nothing unusual."
        return explain_text(self.explanation, unit=unit, time_zone=time_zone)
