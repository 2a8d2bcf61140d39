"""Turn a forecast hour's additive parts into one short sentence."""

from __future__ import annotations

from collections.abc import Mapping
import math

import pandas as pd

from .baselines import BASELINE_DESCRIPTIONS
from .features import DAILY_PATTERN, HOLIDAY, RECENT_LEVEL, SEASON

#: How many contributions (besides the usual pattern) a sentence names at most.
TOP_CONTRIBUTIONS = 3

_DAY_PARTS = ("night", "morning", "afternoon", "evening")
_DAY_TYPES = ("weekday",) * 5 + ("Saturday", "Sunday")


def decimals_for(value: float) -> int:
    """Decimals that show a value of this size sensibly (1.84 kWh -> 1.8, 0.184 -> 0.18)."""
    size = abs(value)
    if size >= 100:
        return 0
    if size >= 1:
        return 1
    return 2


def _number(value: float, decimals: int, *, signed: bool = False) -> str:
    rounded = round(value, decimals) + 0.0  # adding 0.0 turns -0.0 into 0.0
    return f"{rounded:+.{decimals}f}" if signed else f"{rounded:.{decimals}f}"


def _label(group: str, value: float, labels: Mapping[str, str]) -> str:
    if group in labels:
        return labels[group]
    if group == RECENT_LEVEL:
        return "higher than usual recently" if value > 0 else "lower than usual recently"
    if group == HOLIDAY:
        return "public holiday"
    if group == SEASON:
        return "time of year"
    return group.replace("_", " ")


def explain_hour(
    *,
    local_time: pd.Timestamp,
    p50: float,
    baseline: float,
    contributions: Mapping[str, float],
    unit: str,
    served_baseline: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> str:
    """One sentence: the forecast, the usual level and the largest contributions.

    Args:
        local_time: Start of the hour in the home's time zone.
        p50: Median forecast of the hour.
        baseline: Expected value before any contribution.
        contributions: Group name to signed contribution.
        unit: Unit shown after the forecast (``"kWh"``).
        served_baseline: Name of the naive baseline served instead of the model, if any.
        labels: Optional words for groups, e.g. ``{"outdoor_temp": "cold outside"}``.

    Returns:
        E.g. ``"Expected 1.8 kWh from 18:00: usual for a weekday evening 1.2, outdoor
        temperature +0.4, higher than usual recently +0.2"``.
    """
    decimals = decimals_for(p50)
    unit_text = f" {unit}" if unit else ""
    head = f"Expected {_number(p50, decimals)}{unit_text} from {local_time:%H:%M}"
    if served_baseline is not None:
        description = BASELINE_DESCRIPTIONS.get(served_baseline, served_baseline)
        return f"{head}: same as {description} (the model does not beat this baseline yet)"
    usual = baseline + contributions.get(DAILY_PATTERN, 0.0)
    day_type = _DAY_TYPES[local_time.dayofweek]
    day_part = _DAY_PARTS[local_time.hour // 6]
    parts = [f"usual for a {day_type} {day_part} {_number(usual, decimals)}"]
    others = sorted(
        ((group, value) for group, value in contributions.items() if group != DAILY_PATTERN),
        key=lambda item: -abs(item[1]),
    )
    for group, value in others[:TOP_CONTRIBUTIONS]:
        if math.isclose(round(value, decimals), 0.0, abs_tol=1e-12):
            continue  # too small to show at this precision
        parts.append(
            f"{_label(group, value, labels or {})} {_number(value, decimals, signed=True)}"
        )
    return f"{head}: {', '.join(parts)}"
