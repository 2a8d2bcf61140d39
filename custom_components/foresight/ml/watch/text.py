"""Words and numbers for explanation sentences."""

from __future__ import annotations

import math

import pandas as pd

from custom_components.foresight.ml.forecast.explain import decimals_for

from .features import DAILY_PATTERN, DRIFT, EXOGENOUS_PREFIX, MEAN_REVERSION, RECENT_TREND

__all__ = ["day_part", "decimals_for", "group_label", "number", "with_unit"]

_DAY_PARTS = ("night", "morning", "afternoon", "evening")


def number(value: float, decimals: int, *, signed: bool = False) -> str:
    """A rounded number (no ``-0.0``), with a sign when asked."""
    rounded = round(value, decimals) + 0.0
    return f"{rounded:+.{decimals}f}" if signed else f"{rounded:.{decimals}f}"


def with_unit(text: str, unit: str) -> str:
    """``"21.4 °C"`` or ``"21.4"`` when there is no unit."""
    return f"{text} {unit}" if unit else text


def day_part(local_time: pd.Timestamp) -> str:
    """Night, morning, afternoon or evening."""
    return _DAY_PARTS[local_time.hour // 6]


def is_shown(value: float, decimals: int) -> bool:
    """Whether a value is visible at the given precision."""
    return not math.isclose(round(value, decimals), 0.0, abs_tol=1e-12)


def group_label(group: str, value: float, local_time: pd.Timestamp) -> str:
    """Words for a contribution (``"usual morning rise"``, ``"rising trend"``...)."""
    if group == DAILY_PATTERN:
        return f"usual {day_part(local_time)} {'rise' if value > 0 else 'fall'}"
    if group == RECENT_TREND:
        return "rising trend" if value > 0 else "falling trend"
    if group == MEAN_REVERSION:
        return "back towards the day's average"
    if group == DRIFT:
        return "usual drift"
    if group.startswith(EXOGENOUS_PREFIX):
        return group.removeprefix(EXOGENOUS_PREFIX).replace("_", " ")
    return group.replace("_", " ")
