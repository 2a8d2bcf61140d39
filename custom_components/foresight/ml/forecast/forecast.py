"""The result of one forecast: quantiles, additive explanation, records for responses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import math
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from .explain import explain_hour

type FloatArray = npt.NDArray[np.float64]

#: Decimals kept in records; enough for kWh or W without leaking float noise.
RECORD_DECIMALS = 4


def _rounded(value: float) -> float | None:
    return round(float(value), RECORD_DECIMALS) if math.isfinite(value) else None


@dataclass(frozen=True, slots=True)
class Forecast:
    """Forecast of consecutive hours, with ``baseline + sum(contributions) == p50``.

    Attributes:
        timestamps: Start of each forecast hour (UTC).
        p10: Low bound per hour (10th percentile).
        p50: Median forecast per hour.
        p90: High bound per hour (90th percentile).
        baseline: Expected value before any feature group's contribution, per hour.
        contributions: Feature group to signed contribution per hour (empty when a naive
            baseline is served).
        baselines: Each naive baseline's forecast per hour, for comparison.
        time_zone: Home's time zone, for explanations.
        served_baseline: Name of the naive baseline served instead of the model, or None.
    """

    timestamps: pd.DatetimeIndex
    p10: FloatArray
    p50: FloatArray
    p90: FloatArray
    baseline: FloatArray
    contributions: dict[str, FloatArray]
    baselines: dict[str, FloatArray]
    time_zone: str
    served_baseline: str | None = field(default=None)

    def __len__(self) -> int:
        """Number of forecast hours."""
        return len(self.timestamps)

    def explain(self, index: int, unit: str, labels: Mapping[str, str] | None = None) -> str:
        """Sentence explaining one hour's median forecast.

        Args:
            index: Hour within the forecast (0 = first hour).
            unit: Unit of the target, e.g. ``"kWh"``.
            labels: Optional words per feature group (``{"outdoor_temp": "cold outside"}``).

        Returns:
            E.g. ``"Expected 1.8 kWh from 18:00: usual for a weekday evening 1.2, ..."``.
        """
        return explain_hour(
            local_time=self.timestamps[index].tz_convert(self.time_zone),
            p50=float(self.p50[index]),
            baseline=float(self.baseline[index]),
            contributions={
                group: float(values[index]) for group, values in self.contributions.items()
            },
            unit=unit,
            served_baseline=self.served_baseline,
            labels=labels,
        )

    def as_records(self) -> list[dict[str, Any]]:
        """Plain JSON-serialisable dicts, one per hour (ISO timestamps, rounded floats)."""
        return quantile_records(self)


class QuantileForecast(Protocol):
    """What every forecast has: steps with quantiles and an additive explanation."""

    @property
    def timestamps(self) -> pd.DatetimeIndex:
        """Start of each step (UTC)."""

    @property
    def p10(self) -> FloatArray:
        """Low bound per step."""

    @property
    def p50(self) -> FloatArray:
        """Median per step."""

    @property
    def p90(self) -> FloatArray:
        """High bound per step."""

    @property
    def baseline(self) -> FloatArray:
        """Where each step's explanation starts."""

    @property
    def contributions(self) -> Mapping[str, FloatArray]:
        """Signed contribution of each group per step."""


def quantile_records(forecast: QuantileForecast) -> list[dict[str, Any]]:
    """One plain JSON-serialisable dict per step (ISO timestamps, rounded floats)."""
    return [
        {
            "timestamp": timestamp.isoformat(),
            "p10": _rounded(forecast.p10[index]),
            "p50": _rounded(forecast.p50[index]),
            "p90": _rounded(forecast.p90[index]),
            "baseline": _rounded(forecast.baseline[index]),
            "contributions": {
                group: _rounded(values[index]) for group, values in forecast.contributions.items()
            },
        }
        for index, timestamp in enumerate(forecast.timestamps)
    ]
