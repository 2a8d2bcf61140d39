"""scikit-learn engine: gradient boosting kept additive over feature groups.

``interaction_cst`` lets a tree use the features of one group only (the groups are disjoint),
so the model is a sum of one function per group. A group's contribution is then read off
exactly by swapping only that group's columns into a reference row. Importing this module
imports scikit-learn; the package imports it only when this engine is chosen.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor

from custom_components.foresight.ml.forecast.features import FeatureLayout

from .base import Explained, FloatArray
from .threads import single_thread

#: Rows used to centre each group's contribution on its training mean.
CENTERING_ROWS = 2000
#: Columns the trees do not use. On the validation years these robust and issue-time levels
#: helped the ridge engine but not the boosting (which finds its own thresholds on the raw
#: lags), and each column costs fit time.
UNUSED_COLUMNS = frozenset(
    ("same_hour_ewm_28d", "same_hour_median_7d", "near_hour_median_7d", "last_day_mean")
)


class BoostingEngine:
    """Histogram gradient boosting on the absolute error (a median forecast)."""

    name = "sklearn"

    def __init__(self) -> None:
        """Create an unfitted engine."""
        self._model: HistGradientBoostingRegressor | None = None
        self._groups: dict[str, tuple[int, ...]] = {}
        self._columns: list[int] = []
        self._reference = np.empty(0)
        self._reference_value = 0.0
        self._group_means: dict[str, float] = {}

    def fit(self, features: FloatArray, target: FloatArray, layout: FeatureLayout) -> None:
        """Fit the boosted trees, then the reference row and each group's mean term."""
        self._columns = [
            index for index, name in enumerate(layout.names) if name not in UNUSED_COLUMNS
        ]
        used = features[:, self._columns]
        position = {column: number for number, column in enumerate(self._columns)}
        self._groups = {
            group: tuple(position[index] for index in indices if index in position)
            for group, indices in layout.group_indices().items()
        }
        model = HistGradientBoostingRegressor(
            loss="absolute_error",
            learning_rate=0.1,
            max_iter=150,
            max_leaf_nodes=15,
            min_samples_leaf=40,
            l2_regularization=1.0,
            early_stopping=False,
            interaction_cst=[list(indices) for indices in self._groups.values()],
            random_state=0,
        )
        with single_thread(self.name):
            model.fit(used, target)
        self._model = model
        self._reference = np.median(used, axis=0)
        step = max(1, len(features) // CENTERING_ROWS)
        sample = features[::step]
        terms = self._group_terms(sample)
        self._group_means = {group: float(values.mean()) for group, values in terms.items()}

    def _group_terms(self, features: FloatArray) -> dict[str, FloatArray]:
        """Each group's term relative to the reference row, with one ``predict`` call."""
        assert self._model is not None  # noqa: S101
        features = features[:, self._columns]
        rows = len(features)
        stacked = np.tile(self._reference, ((len(self._groups) + 1) * rows + 1, 1))
        stacked[:rows] = features
        for number, indices in enumerate(self._groups.values(), start=1):
            columns = list(indices)
            stacked[number * rows : (number + 1) * rows, columns] = features[:, columns]
        with single_thread(self.name):
            predicted = self._model.predict(stacked)
        self._reference_value = float(predicted[-1])
        return {
            group: predicted[number * rows : (number + 1) * rows] - self._reference_value
            for number, group in enumerate(self._groups, start=1)
        }

    def predict(self, features: FloatArray) -> FloatArray:
        """Median forecast per row."""
        assert self._model is not None  # noqa: S101
        with single_thread(self.name):
            return np.asarray(self._model.predict(features[:, self._columns]), dtype=float)

    def explain(self, features: FloatArray) -> Explained:
        """Exact additive parts: the baseline is the mean training prediction."""
        terms = self._group_terms(features)
        contributions = {group: terms[group] - self._group_means[group] for group in terms}
        baseline_value = self._reference_value + sum(self._group_means.values())
        baseline = np.full(len(features), baseline_value)
        p50 = baseline + np.sum(list(contributions.values()), axis=0)
        return Explained(p50=p50, baseline=baseline, contributions=contributions)

    def get_state(self) -> tuple[dict[str, Any], dict[str, FloatArray], bytes | None]:
        """The fitted trees can only be pickled; the caller authenticates them first."""
        assert self._model is not None  # noqa: S101
        buffer = io.BytesIO()
        pickle.dump(self._model, buffer, protocol=pickle.HIGHEST_PROTOCOL)
        meta = {
            "groups": {group: list(indices) for group, indices in self._groups.items()},
            "columns": self._columns,
            "reference_value": self._reference_value,
            "group_means": self._group_means,
        }
        return meta, {"reference": self._reference}, buffer.getvalue()

    @classmethod
    def from_state(
        cls, meta: dict[str, Any], arrays: dict[str, FloatArray], blob: bytes | None
    ) -> BoostingEngine:
        """Rebuild from :meth:`get_state` output whose bytes were already authenticated.

        Raises:
            ValueError: The pickled model is missing.
        """
        if blob is None:
            msg = "the sklearn engine state has no model bytes"
            raise ValueError(msg)
        engine = cls()
        # Only reached after the file's HMAC and library versions were checked (persistence).
        engine._model = pickle.loads(blob)  # noqa: S301
        engine._groups = {group: tuple(indices) for group, indices in meta["groups"].items()}
        engine._columns = [int(index) for index in meta["columns"]]
        engine._reference = arrays["reference"]
        engine._reference_value = float(meta["reference_value"])
        engine._group_means = {group: float(value) for group, value in meta["group_means"].items()}
        return engine
