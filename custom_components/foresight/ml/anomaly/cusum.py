"""One-sided CUSUM: accumulates moderate evidence so sustained deviations are caught.

Each standardized residual beyond the slack ``k`` adds to the sum, anything below drains it;
the sum never drops under zero. A base-load step that is only 1-2 band widths off in every
hour therefore builds up steadily, while a single noisy hour drains away again. Residuals are
capped so that one extreme hour (already caught by the point test) cannot fill it alone.
"""

from dataclasses import dataclass
from datetime import datetime
import math
from typing import Any

import numpy as np

from .robust import FloatArray
from .serial import datetime_from_json, datetime_to_json

SLACK = 0.5
"""Residuals (in units of the usual P90 distance) below this drain the sum."""
CAP = 3.0
"""Largest contribution of one reading."""


@dataclass(slots=True)
class CusumSide:
    """State of one side (high or low) of a CUSUM.

    Attributes:
        value: The accumulated evidence.
        since: First reading of the current accumulation.
        count: Readings since then.
        sum_actual: Sum of the readings since then (for explanations).
        sum_expected: Sum of the expectations since then.
    """

    value: float = 0.0
    since: datetime | None = None
    count: int = 0
    sum_actual: float = 0.0
    sum_expected: float = 0.0

    def update(
        self,
        moment: datetime,
        z: float,
        actual: float,
        expected: float,
        limit: float,
        *,
        slack: float = SLACK,
        cap: float = CAP,
    ) -> float:
        """Add one standardized residual (positive = in this side's direction).

        Args:
            moment: Time of the reading.
            z: Standardized residual, positive in this side's direction.
            actual: The reading (for explanations).
            expected: Its expectation (for explanations).
            limit: Largest value kept, so the sum drains soon after a long deviation ends.
            slack: Contributions below this drain the sum.
            cap: Largest contribution of one reading.

        Returns:
            The new CUSUM value.
        """
        self.value = min(max(0.0, self.value + min(z, cap) - slack), limit)
        if self.value <= 0.0:
            self.reset()
            return 0.0
        if self.since is None:
            self.since = moment
        self.count += 1
        self.sum_actual += actual
        self.sum_expected += expected
        return self.value

    def reset(self) -> None:
        """Forget the accumulated evidence."""
        self.value = 0.0
        self.since = None
        self.count = 0
        self.sum_actual = 0.0
        self.sum_expected = 0.0

    def means(self) -> tuple[float, float]:
        """Mean actual and expected value over the accumulation."""
        count = max(self.count, 1)
        return self.sum_actual / count, self.sum_expected / count

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable state."""
        return {
            "value": self.value,
            "since": datetime_to_json(self.since),
            "count": self.count,
            "sum_actual": self.sum_actual,
            "sum_expected": self.sum_expected,
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> CusumSide:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            value=float(state["value"]),
            since=datetime_from_json(state["since"]),
            count=int(state["count"]),
            sum_actual=float(state["sum_actual"]),
            sum_expected=float(state["sum_expected"]),
        )


def cusum_path(z: FloatArray) -> FloatArray:
    """The CUSUM values along a series of standardized residuals (NaN readings skipped).

    Used to learn thresholds from history; must match :meth:`CusumSide.update`.
    """
    path = np.zeros(len(z))
    value = 0.0
    for position, item in enumerate(z.tolist()):
        if not math.isnan(item):
            value = max(0.0, value + min(item, CAP) - SLACK)
        path[position] = value
    return path
