"""Exceptions the forecast engine raises for conditions the caller must handle."""

from __future__ import annotations

from typing import Literal

type ModelFileReason = Literal["corrupt", "foreign", "version_mismatch"]


class ForecastError(Exception):
    """Base class of every error the forecast package raises on purpose."""


class NotEnoughHistoryError(ForecastError):
    """The history holds too few usable hours to train and check a model.

    Attributes:
        hours_available: Hours with a known, non-excluded target value.
        hours_needed: The documented minimum (``MIN_HISTORY_HOURS``).
    """

    def __init__(self, hours_available: int, hours_needed: int) -> None:
        """Store both counts so that the caller can tell the user how long to wait."""
        super().__init__(
            f"not enough history: {hours_available} usable hours, {hours_needed} needed"
        )
        self.hours_available = hours_available
        self.hours_needed = hours_needed


class ModelFileError(ForecastError):
    """A stored model cannot be loaded; nothing in it was unpickled.

    Attributes:
        reason: ``"corrupt"`` (truncated or damaged), ``"foreign"`` (not written by Foresight
            with this key) or ``"version_mismatch"`` (written by other library versions).
    """

    def __init__(self, reason: ModelFileReason, detail: str) -> None:
        """Keep a machine-readable reason next to the human-readable detail."""
        super().__init__(f"{reason}: {detail}")
        self.reason: ModelFileReason = reason
        self.detail = detail
