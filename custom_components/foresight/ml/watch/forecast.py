"""The result of one sensor forecast: quantiles per step and their additive explanation."""

from __future__ import annotations

from dataclasses import dataclass, field
import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from custom_components.foresight.ml.forecast.forecast import quantile_records

from .baselines import BASELINE_DESCRIPTIONS
from .text import decimals_for, group_label, is_shown, number, with_unit

type FloatArray = npt.NDArray[np.float64]

#: Decimals kept in records.
RECORD_DECIMALS = 4
#: Contributions a sentence names at most.
TOP_CONTRIBUTIONS = 3
#: Data older than this is mentioned in explanations.
STALE_NOTE_HOURS = 1.0


def _rounded(value: float) -> float | None:
    return round(float(value), RECORD_DECIMALS) if math.isfinite(value) else None


@dataclass(frozen=True)
class SensorForecast:
    """Forecast of the next steps, with ``baseline + sum(contributions) == p50`` per step.

    An empty forecast (no steps) is never returned: :meth:`SensorForecaster.forecast` raises
    :class:`~.errors.NoRecentDataError` instead.

    Attributes:
        issued_at: Issue time (UTC).
        timestamps: Start of each forecast step (UTC), after ``issued_at``.
        p10: Low bound per step (10th percentile).
        p50: Median per step.
        p90: High bound per step (90th percentile).
        contributions: Group to signed contribution per step.
        baseline: The current level, repeated per step.
        current_value: The current level (mean of the newest grid step with data).
        time_zone: Local time zone, for explanations.
        unit: Unit for explanations.
        served_baseline: Name of the naive baseline served instead of the model, or None.
        stale_hours: Age of the newest sample at the issue time.
        trend_per_hour: Slope of the last hour (per hour), None when unknown.
        trend_since: Start of the current rise or fall, None when unknown.
    """

    issued_at: pd.Timestamp
    timestamps: pd.DatetimeIndex
    p10: FloatArray
    p50: FloatArray
    p90: FloatArray
    contributions: dict[str, FloatArray]
    baseline: FloatArray
    current_value: float | None
    time_zone: str = "UTC"
    unit: str = ""
    served_baseline: str | None = field(default=None)
    stale_hours: float = 0.0
    trend_per_hour: float | None = None
    trend_since: pd.Timestamp | None = None

    def __len__(self) -> int:
        """Number of forecast steps."""
        return len(self.timestamps)

    def hours_ahead(self) -> FloatArray:
        """Hours from the issue time to each step."""
        delta = (self.timestamps - self.issued_at) / pd.Timedelta(hours=1)
        return np.asarray(delta, dtype=np.float64)

    def explain(self, index: int, unit: str = "") -> str:
        """One sentence explaining a step's median.

        Args:
            index: Step within the forecast (0 = first).
            unit: Unit shown after values (defaults to the forecast's unit).

        Returns:
            E.g. ``"Expected 21.4 °C at 06:00: now 19.0, usual night rise +1.6, rising
            trend +0.8"``.
        """
        unit = unit or self.unit
        local = self.timestamps[index].tz_convert(self.time_zone)
        p50 = float(self.p50[index])
        decimals = decimals_for(p50)
        head = f"Expected {with_unit(number(p50, decimals), unit)} at {local:%H:%M}"
        now = f"now {number(float(self.baseline[index]), decimals)}"
        if self.stale_hours >= STALE_NOTE_HOURS:
            now += f" (last reading {self.stale_hours:.1f} h ago)"
        if self.served_baseline is not None:
            description = BASELINE_DESCRIPTIONS.get(self.served_baseline, self.served_baseline)
            return (
                f"{head}: {now}, same as {description} (the model does not beat this baseline yet)"
            )
        parts = [now]
        ranked = sorted(
            ((group, float(values[index])) for group, values in self.contributions.items()),
            key=lambda item: -abs(item[1]),
        )
        for group, value in ranked[:TOP_CONTRIBUTIONS]:
            if is_shown(value, decimals):
                label = group_label(group, value, local)
                parts.append(f"{label} {number(value, decimals, signed=True)}")
        return f"{head}: {', '.join(parts)}"

    def to_records(self) -> list[dict[str, Any]]:
        """Plain JSON-serialisable dicts, one per step (ISO timestamps, rounded floats)."""
        return quantile_records(self)
