"""Errors the watch package raises on purpose."""

from __future__ import annotations

from custom_components.foresight.ml.forecast.errors import ForecastError, NotEnoughHistoryError

__all__ = ["NoRecentDataError", "NotEnoughHistoryError", "WatchError"]


class WatchError(ForecastError):
    """Base class of the errors specific to sensor watches."""


class NoRecentDataError(WatchError, ValueError):
    """The frame has no usable value recent enough to forecast from.

    Attributes:
        stale_hours: Age of the newest usable value at the issue time (inf when none).
        max_stale_hours: The largest age a forecast accepts.
    """

    def __init__(self, stale_hours: float, max_stale_hours: float) -> None:
        """Keep both ages so that the caller can say how old the data is."""
        if stale_hours == float("inf"):
            detail = "no usable value at or before the issue time"
        else:
            detail = f"the newest usable value is {stale_hours:.1f} h old"
        super().__init__(f"{detail}; at most {max_stale_hours:g} h is accepted")
        self.stale_hours = stale_hours
        self.max_stale_hours = max_stale_hours
