"""Assemble the hourly training frame and say how much of it can be trusted."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from .cleaning import HOUR, BoolArray, Flag, FloatArray, HourlySeries

TARGET_COLUMN = "target"
EXCLUDED_COLUMN = "excluded"


@dataclass(frozen=True, slots=True)
class UnitChange:
    """The unit of an entity's states changed at ``at``."""

    at: datetime
    from_unit: str | None
    to_unit: str | None


@dataclass(frozen=True, slots=True)
class DataQuality:
    """What the history of one entry holds, for diagnostics, repairs and the config flow."""

    hours_in_window: int
    hours_with_data: int
    hours_usable: int
    first_timestamp: datetime | None
    last_timestamp: datetime | None
    excluded_hours: dict[str, int]
    source: str
    unit: str | None = None
    unit_changes: tuple[UnitChange, ...] = field(default_factory=tuple)

    @property
    def coverage_percent(self) -> float:
        """Share of the window that can be learned from, in percent."""
        if self.hours_in_window == 0:
            return 0.0
        return round(100.0 * self.hours_usable / self.hours_in_window, 1)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly form (for diagnostics and action responses)."""
        return {
            "hours_in_window": self.hours_in_window,
            "hours_with_data": self.hours_with_data,
            "hours_usable": self.hours_usable,
            "coverage_percent": self.coverage_percent,
            "first_timestamp": _iso(self.first_timestamp),
            "last_timestamp": _iso(self.last_timestamp),
            "excluded_hours": dict(self.excluded_hours),
            "source": self.source,
            "unit": self.unit,
            "unit_changes": [
                {"at": _iso(change.at), "from": change.from_unit, "to": change.to_unit}
                for change in self.unit_changes
            ],
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def hourly_index(start: float, hours: int) -> pd.DatetimeIndex:
    """A UTC index with one entry per hour of the window."""
    return pd.date_range(
        start=pd.Timestamp(start, unit="s", tz="UTC"), periods=hours, freq="h", name="start"
    )


def build_history(
    start: float,
    target: HourlySeries,
    features: Mapping[str, FloatArray],
    extra_flags: Mapping[Flag, BoolArray],
    *,
    source: str,
    unit: str | None = None,
    unit_changes: tuple[UnitChange, ...] = (),
) -> tuple[pd.DataFrame, DataQuality]:
    """The frame every model takes, and what it holds.

    The frame has ``target``, one column per feature and ``excluded`` (hours with any flag);
    its index is the UTC start of each hour.
    """
    hours = target.values.size
    flags = dict(target.flags)
    for flag, mask in extra_flags.items():
        flags[flag] = flags.get(flag, np.zeros(hours, dtype=bool)) | mask
    excluded = HourlySeries(target.values, flags).excluded
    index = hourly_index(start, hours)
    frame = pd.DataFrame(
        {TARGET_COLUMN: target.values, **features, EXCLUDED_COLUMN: excluded}, index=index
    )
    has_data = ~np.isnan(target.values)
    stamps = index[has_data]
    quality = DataQuality(
        hours_in_window=hours,
        hours_with_data=int(has_data.sum()),
        hours_usable=int((has_data & ~excluded).sum()),
        first_timestamp=stamps[0].to_pydatetime() if len(stamps) else None,
        last_timestamp=stamps[-1].to_pydatetime() if len(stamps) else None,
        excluded_hours={str(flag): int(mask.sum()) for flag, mask in flags.items() if mask.any()},
        source=source,
        unit=unit,
        unit_changes=unit_changes,
    )
    return frame, quality


def epoch(moment: datetime) -> float:
    """Seconds since the epoch of an aware datetime."""
    return moment.astimezone(UTC).timestamp()


def hours_between(start: datetime, end: datetime) -> int:
    """Whole hours from start to end."""
    return int((epoch(end) - epoch(start)) // HOUR)
