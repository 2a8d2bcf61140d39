"""Naive forecasts the model has to beat: persistence, same time yesterday, linear drift.

Each predicts the change from the current level, so that a served baseline is explained
like the model: persistence has no contribution, same time yesterday is all daily pattern,
linear drift is all recent trend.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from .features import DAILY_PATTERN, DRIFT_HOURS, RECENT_TREND, FeatureContext

type FloatArray = npt.NDArray[np.float64]
type IntArray = npt.NDArray[np.int64]

PERSISTENCE: Final = "persistence"
SAME_TIME_YESTERDAY: Final = "same_time_yesterday"
LINEAR_DRIFT: Final = "linear_drift"
BASELINE_NAMES: Final = (PERSISTENCE, SAME_TIME_YESTERDAY, LINEAR_DRIFT)

#: Group a served baseline's change is attributed to (None: no change at all).
BASELINE_GROUPS: Final[dict[str, str | None]] = {
    PERSISTENCE: None,
    SAME_TIME_YESTERDAY: DAILY_PATTERN,
    LINEAR_DRIFT: RECENT_TREND,
}

#: Words for explanations ("same as <description>").
BASELINE_DESCRIPTIONS: Final = {
    PERSISTENCE: "the last value",
    SAME_TIME_YESTERDAY: "the same time yesterday",
    LINEAR_DRIFT: f"the trend of the last {DRIFT_HOURS} hours continued",
}


def baseline_changes(
    name: str,
    context: FeatureContext,
    origins: IntArray,
    leads: IntArray | int,
    step: pd.Timedelta,
) -> FloatArray:
    """Change from the current level each baseline predicts (0 where it cannot tell).

    Args:
        name: One of :data:`BASELINE_NAMES`.
        context: Per-position quantities of the grid.
        origins: Issue positions.
        leads: Lead in steps (broadcast against ``origins``).
        step: Grid step.

    Raises:
        ValueError: Unknown baseline name.
    """
    origins, leads = np.broadcast_arrays(np.asarray(origins), np.asarray(leads))
    if name == PERSISTENCE:
        return np.zeros(origins.shape)
    if name == SAME_TIME_YESTERDAY:
        day = int(pd.Timedelta(days=1) / step)
        back = np.ceil(leads / day).astype(np.int64) * day
        source = origins + leads - back
        values = np.where(
            source >= 0, context.level[np.maximum(source, 0)] - context.level[origins], np.nan
        )
        return np.nan_to_num(np.asarray(values, dtype=np.float64))
    if name == LINEAR_DRIFT:
        hours = leads * (step / pd.Timedelta(hours=1))
        return np.nan_to_num(np.asarray(context.drift_slope[origins] * hours, dtype=np.float64))
    msg = f"unknown baseline {name!r}"
    raise ValueError(msg)
