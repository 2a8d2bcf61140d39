"""Settings of a sensor watch: how far to forecast, and which limit to watch."""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Literal
from zoneinfo import ZoneInfo

type Direction = Literal["above", "below"]

#: Longest forecast horizon.
MAX_HORIZON_HOURS = 48
#: Steps (minutes) a grid may have; the data decides among them unless one is set.
ALLOWED_STEPS = (5, 10, 15, 30, 60)


@dataclass(frozen=True, slots=True)
class WatchSettings:
    """How a sensor forecaster is trained.

    Attributes:
        time_zone: IANA time zone of the home; the daily pattern is learnt in local time.
        horizon_hours: How far forecasts go (1 to 48 hours).
        feature_columns: Exogenous numeric columns of the input frame.
        step_minutes: Grid step (5, 10, 15, 30 or 60), or None to choose it from the data.
        unit: Unit of the sensor, only used in explanation texts.
    """

    time_zone: str
    horizon_hours: int = 24
    feature_columns: tuple[str, ...] = ()
    step_minutes: int | None = None
    unit: str = ""

    def __post_init__(self) -> None:
        """Reject settings that would fail later in a less obvious place.

        Raises:
            ValueError: A value is out of range (unknown time zones raise
                ``ZoneInfoNotFoundError``, a ``KeyError``).
        """
        ZoneInfo(self.time_zone)
        if isinstance(self.horizon_hours, bool) or not isinstance(self.horizon_hours, int):
            msg = f"horizon_hours must be an integer, got {self.horizon_hours!r}"
            raise TypeError(msg)
        if not 1 <= self.horizon_hours <= MAX_HORIZON_HOURS:
            msg = f"horizon_hours must be 1..{MAX_HORIZON_HOURS}, got {self.horizon_hours}"
            raise ValueError(msg)
        if self.step_minutes is not None and self.step_minutes not in ALLOWED_STEPS:
            msg = f"step_minutes must be one of {ALLOWED_STEPS} or None, got {self.step_minutes}"
            raise ValueError(msg)
        if {"target", "excluded"} & set(self.feature_columns):
            msg = "feature_columns must not name the target or excluded columns"
            raise ValueError(msg)
        if len(set(self.feature_columns)) != len(self.feature_columns):
            msg = "feature_columns must not repeat a column"
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class ThresholdSettings:
    """A limit to watch.

    Attributes:
        limit: The value not to cross.
        direction: ``"above"`` warns about rising past the limit, ``"below"`` about falling
            under it.
        warning_hours: Warn when the crossing is likely within this many hours (at most the
            forecast horizon; longer windows are cut to the forecast).
        warning_probability: Probability from which :attr:`Crossing.warning` is on.
    """

    limit: float
    direction: Direction
    warning_hours: float
    warning_probability: float = 0.5

    def __post_init__(self) -> None:
        """Reject limits and probabilities that cannot be evaluated.

        Raises:
            ValueError: A value is not finite or out of range.
        """
        if not math.isfinite(self.limit):
            msg = f"limit must be a finite number, got {self.limit}"
            raise ValueError(msg)
        if self.direction not in ("above", "below"):
            msg = f"direction must be 'above' or 'below', got {self.direction!r}"
            raise ValueError(msg)
        if not (math.isfinite(self.warning_hours) and 0 < self.warning_hours <= MAX_HORIZON_HOURS):
            msg = f"warning_hours must be in (0, {MAX_HORIZON_HOURS}], got {self.warning_hours}"
            raise ValueError(msg)
        if not 0.0 < self.warning_probability <= 1.0:
            msg = f"warning_probability must be in (0, 1], got {self.warning_probability}"
            raise ValueError(msg)
