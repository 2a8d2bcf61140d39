"""The interface every regression engine implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from custom_components.foresight.ml.forecast.features import FeatureLayout

type FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Explained:
    """Point forecasts split into additive parts.

    ``baseline + sum(contributions.values()) == p50`` holds to float precision.

    Attributes:
        p50: Median forecast per row.
        baseline: Expected value before any group's contribution (per row).
        contributions: Group name to signed contribution per row.
    """

    p50: FloatArray
    baseline: FloatArray
    contributions: dict[str, FloatArray]


class Engine(Protocol):
    """A regressor that is additive over feature groups and can say so."""

    name: str

    def fit(
        self,
        features: FloatArray,
        target: FloatArray,
        layout: FeatureLayout,
        *,
        age_hours: FloatArray | None = None,
        explainable: bool = True,
    ) -> None:
        """Fit on a NaN-free feature matrix and a finite target.

        ``age_hours`` is each row's age in hours before the newest training row; an engine
        may weigh recent rows more (households drift over the years). None = all alike.
        ``explainable=False`` may skip what only :meth:`explain` needs (a backtest fold only
        predicts); such an engine must not be explained or saved.
        """

    def predict(self, features: FloatArray) -> FloatArray:
        """Median forecast per row."""

    def explain(self, features: FloatArray) -> Explained:
        """Median forecast per row with its additive parts per feature group."""

    def get_state(self) -> tuple[dict[str, Any], dict[str, FloatArray], bytes | None]:
        """JSON-able metadata, plain arrays and (only if unavoidable) pickled bytes."""
