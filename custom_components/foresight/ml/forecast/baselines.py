"""The three naive forecasts a model has to beat before it is served."""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

type FloatArray = npt.NDArray[np.float64]

SAME_HOUR_YESTERDAY: Final = "same_hour_yesterday"
SAME_HOUR_LAST_WEEK: Final = "same_hour_last_week"
SAME_HOUR_MEAN_7D: Final = "same_hour_mean_7d"
BASELINE_NAMES: Final = (SAME_HOUR_YESTERDAY, SAME_HOUR_LAST_WEEK, SAME_HOUR_MEAN_7D)

#: Words for explanations ("same as <description>").
BASELINE_DESCRIPTIONS: Final = {
    SAME_HOUR_YESTERDAY: "the same hour yesterday",
    SAME_HOUR_LAST_WEEK: "the same hour last week",
    SAME_HOUR_MEAN_7D: "the mean of this hour over the last 7 days",
}


def baseline_forecasts(features: FloatArray, names: tuple[str, ...]) -> dict[str, FloatArray]:
    """Read each baseline off the engine-neutral feature matrix.

    The recent-level columns are exactly the baselines (with the same issue-time rules and
    the same fallbacks for gaps), so the baselines and the model see identical information.

    Args:
        features: Matrix from :func:`~.features.build_features`.
        names: Its column names.

    Returns:
        Baseline name to per-row forecast.
    """
    column = {name: index for index, name in enumerate(names)}
    return {
        SAME_HOUR_YESTERDAY: features[:, column["lag_day"]],
        SAME_HOUR_LAST_WEEK: features[:, column["lag_week"]],
        SAME_HOUR_MEAN_7D: features[:, column["same_hour_mean_7d"]],
    }
