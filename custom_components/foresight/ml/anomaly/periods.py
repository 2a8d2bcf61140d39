"""Feedback periods: spans the user called normal or abnormal."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from .serial import as_utc


@dataclass(frozen=True, slots=True)
class Period:
    """A closed time span in UTC."""

    start: datetime
    end: datetime

    def contains(self, moment: datetime) -> bool:
        """Whether ``moment`` lies inside the span."""
        return self.start <= moment <= self.end

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Whether the span shares any instant with ``[start, end]``."""
        return self.start <= end and start <= self.end


@dataclass(slots=True)
class Feedback:
    """The user's verdicts, kept with a detector's state.

    Attributes:
        normal: Spans marked "this was normal": learnt from, and their alarms cleared.
        abnormal: Spans marked "this was abnormal": never learnt from.
    """

    normal: list[Period] = field(default_factory=list)
    abnormal: list[Period] = field(default_factory=list)

    def add(self, start: datetime, end: datetime, *, normal: bool) -> Period:
        """Record a verdict and return the stored span (UTC, start <= end)."""
        first, last = sorted((as_utc(start), as_utc(end)))
        period = Period(first, last)
        (self.normal if normal else self.abnormal).append(period)
        return period

    def is_abnormal(self, moment: datetime) -> bool:
        """Whether ``moment`` was marked abnormal."""
        return any(period.contains(moment) for period in self.abnormal)

    def is_normal(self, moment: datetime) -> bool:
        """Whether ``moment`` was marked normal."""
        return any(period.contains(moment) for period in self.normal)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {
            "normal": [[p.start.isoformat(), p.end.isoformat()] for p in self.normal],
            "abnormal": [[p.start.isoformat(), p.end.isoformat()] for p in self.abnormal],
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> Feedback:
        """Rebuild from :meth:`to_dict` output."""

        def load(rows: list[list[str]]) -> list[Period]:
            return [Period(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in rows]

        return cls(normal=load(state["normal"]), abnormal=load(state["abnormal"]))


def period_mask(index: pd.DatetimeIndex, periods: list[Period]) -> np.ndarray:
    """Boolean mask of the index entries that fall inside any of the periods.

    The glue uses it to drop "abnormal" spans from forecast training.

    Args:
        index: Tz-aware index.
        periods: Spans in UTC.

    Returns:
        A bool array aligned with ``index``.
    """
    mask = np.zeros(len(index), dtype=bool)
    seconds = index.tz_convert("UTC").as_unit("s").asi8
    for period in periods:
        mask |= (seconds >= period.start.timestamp()) & (seconds <= period.end.timestamp())
    return mask
