"""User-facing knobs of the anomaly detectors."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

type SensitivityName = Literal["low", "medium", "high"]

# Medium applies the thresholds as learnt from the history (each set to the number of alarms
# it would have raised there, see energy_fit's budgets); high divides them by 1.41, low
# multiplies them by 1.41. With injected anomalies, run as Home Assistant runs it, medium
# caught 90 % of the events at 0.48 false alarms a week in the house it was developed on, and
# 71 % at 0.6 a week in 30 houses it had never seen (docs/benchmarks/anomaly.md, panel.md).
_NAMED_SENSITIVITY: dict[str, float] = {"low": 0.25, "medium": 0.5, "high": 0.75}


@dataclass(frozen=True, slots=True)
class AnomalySettings:
    """How eager the detectors are and how they decide.

    Attributes:
        sensitivity: ``"low"`` (0.25), ``"medium"`` (0.5), ``"high"`` (0.75) or a float in
            [0, 1]; higher flags more. At medium the thresholds learnt from the history apply
            as they are; each quarter step up divides them by about 1.41.
        min_duration: How long the score must stay high before an alarm starts. Each reading
            covers one sampling interval, so one hourly reading already covers an hour.
        clear_after: How long the score must stay low before an alarm clears.
        on_score: Score at or above which a reading counts towards an alarm.
        off_score: Score below which a reading counts towards clearing (hysteresis).
        instant_score: Score that starts an alarm at once, whatever ``min_duration`` says.
        time_zone: IANA zone used for hour-of-week profiles and local times in texts.
        history_weeks: Weeks of hourly history kept by the energy expectation model.
        use_multivariate: Use scikit-learn's IsolationForest for several sensors together;
            ``None`` uses it when scikit-learn is installed.
        accept_after: An energy alarm that lasts longer than this is taken as the new
            normal: its hours are learnt from and the alarm clears (a lasting change, such as
            the seasons or a new appliance, should not alarm forever).
    """

    sensitivity: SensitivityName | float = "medium"
    min_duration: timedelta = timedelta(minutes=3)
    clear_after: timedelta = timedelta(hours=2)
    on_score: float = 0.5
    off_score: float = 0.3
    instant_score: float = 0.95
    time_zone: str = "UTC"
    history_weeks: int = 8
    use_multivariate: bool | None = None
    accept_after: timedelta = timedelta(days=7)

    def __post_init__(self) -> None:
        """Reject settings that would make the decision meaningless."""
        if not 0.0 < self.off_score <= self.on_score <= self.instant_score <= 1.0:
            msg = "need 0 < off_score <= on_score <= instant_score <= 1"
            raise ValueError(msg)
        if min(self.min_duration, self.clear_after, self.accept_after) < timedelta(0):
            msg = "durations must not be negative"
            raise ValueError(msg)
        if self.history_weeks < 2:
            msg = "history_weeks must be at least 2"
            raise ValueError(msg)
        ZoneInfo(self.time_zone)  # fail early on an unknown zone
        _ = self.margin

    @property
    def sensitivity_value(self) -> float:
        """The sensitivity as a number in [0, 1]."""
        if isinstance(self.sensitivity, str):
            if self.sensitivity not in _NAMED_SENSITIVITY:
                msg = f"unknown sensitivity {self.sensitivity!r}"
                raise ValueError(msg)
            return _NAMED_SENSITIVITY[self.sensitivity]
        if not 0.0 <= self.sensitivity <= 1.0:
            msg = "a numeric sensitivity must lie in [0, 1]"
            raise ValueError(msg)
        return float(self.sensitivity)

    @property
    def margin(self) -> float:
        """Factor applied to every learnt threshold: 2 at 0, 1 at 0.5, 0.5 at 1."""
        return float(2.0 ** (1.0 - 2.0 * self.sensitivity_value))

    @property
    def zone(self) -> ZoneInfo:
        """The configured time zone."""
        return ZoneInfo(self.time_zone)


def settings_to_dict(settings: AnomalySettings) -> dict[str, Any]:
    """JSON-serialisable form of the settings (durations in seconds)."""
    return {
        "sensitivity": settings.sensitivity,
        "min_duration": settings.min_duration.total_seconds(),
        "clear_after": settings.clear_after.total_seconds(),
        "on_score": settings.on_score,
        "off_score": settings.off_score,
        "instant_score": settings.instant_score,
        "time_zone": settings.time_zone,
        "history_weeks": settings.history_weeks,
        "use_multivariate": settings.use_multivariate,
        "accept_after": settings.accept_after.total_seconds(),
    }


def settings_from_dict(state: dict[str, Any]) -> AnomalySettings:
    """Rebuild settings from :func:`settings_to_dict` output."""
    return AnomalySettings(
        sensitivity=state["sensitivity"],
        min_duration=timedelta(seconds=state["min_duration"]),
        clear_after=timedelta(seconds=state["clear_after"]),
        on_score=state["on_score"],
        off_score=state["off_score"],
        instant_score=state["instant_score"],
        time_zone=state["time_zone"],
        history_weeks=state["history_weeks"],
        use_multivariate=state["use_multivariate"],
        accept_after=timedelta(seconds=state["accept_after"]),
    )
