"""scikit-learn engine: gradient boosting kept additive over feature groups, blended.

``interaction_cst`` lets a tree use the features of one group only (the groups are disjoint),
so the model is a sum of one function per group. A group's contribution is then read off
exactly by swapping only that group's columns into a reference row. The forecast is a
weighted average (``TREE_WEIGHT``) of these trees and the NumPy engine's ridge regression
fitted on the same rows: both are sums of per-group parts in kWh, so the blend is one too and
each group's contribution is the same average of its two contributions (exact).

Only :meth:`BoostingEngine.fit` imports scikit-learn (in the training process). It copies the
fitted trees into a :class:`TreeEnsemble` and drops the scikit-learn model, so the engine
that Home Assistant unpickles, stores, loads and predicts with needs NumPy only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from custom_components.foresight.ml.forecast.features import (
    AWAY_COLUMNS,
    LEVEL_SEASON_COLUMNS,
    RECENT_LEVEL,
    FeatureLayout,
)

from .base import Explained, FloatArray
from .numpy_ridge import RidgeEngine
from .threads import single_thread
from .trees import TreeEnsemble

#: Rows used to centre each group's contribution on its training mean.
CENTERING_ROWS = 2000
#: Columns the trees do not use. On the validation years these robust and issue-time levels
#: helped the ridge engine but not the boosting (which finds its own thresholds on the raw
#: lags), and each column costs fit time.
#: The away gate and the season group's copy of the hour helped the ridge but not the blend
#: when the trees used them as well (validation year 12.11 % both ways, vs 12.29 % / 12.14 %
#: with the trees ignoring them), so the trees ignore them too.
UNUSED_COLUMNS = frozenset(
    (
        "same_hour_ewm_28d",
        "same_hour_median_7d",
        "near_hour_median_7d",
        "last_day_mean",
        *AWAY_COLUMNS,
        "season_hour",
        # The level group's copies of the season: for the ridge (the trees were not tried
        # with them).
        *LEVEL_SEASON_COLUMNS,
    )
)
#: With the hour's darkness in the season group (the home's location is known), the trees
#: of that group see the season's copy of the hour too, so that darkness can act by time of
#: day: on the household validation years +0.10 and +0.09 points over the trees ignoring
#: both (the ridge unchanged).
DAYLIGHT_COLUMNS = frozenset(("darkness", "season_hour"))
#: Raw columns repeated inside the recent-level group, so that the trees of that group can
#: let the weight of the recent past depend on the weekday (the group already holds its own
#: copy of the hour). The groups stay disjoint: the copy is a separate column. On the
#: household validation year this gained 0.4-0.6 points of skill.
LEVEL_INTERACTIONS = ("weekday",)
#: Boosting rounds. 100 did as well as 150 on the household validation year (10.6 % vs
#: 10.3 % with the weekday in the level group; within the noise) and fits a third faster.
MAX_ITER = 100
#: Weight of the trees in the blend with the ridge regression (the rest is the ridge's).
#: On the household validation year, model alone: trees 10.6 %, ridge 10.8 %, blend 0.5
#: 11.9 % (0.3: 11.7 %, 0.7: 11.7 %); the two models err differently. Since the ridge fits
#: a log scale (ridge alone 12.65 %), a smaller tree weight: 0.5 12.74 %, 0.4 12.89 %,
#: 0.3 12.97 %, 0.2 12.97 %.
TREE_WEIGHT = 0.3
#: Rows on which the exported trees are checked against scikit-learn's own prediction: a
#: scikit-learn release that changed its tree layout must fail the fit, not mis-predict.
EXPORT_CHECK_ROWS = 256
#: Largest difference accepted in that check (the sums normally agree to the last bit).
EXPORT_TOLERANCE = 1e-9


class BoostingEngine:
    """Histogram gradient boosting on the absolute error (a median forecast), blended."""

    name = "sklearn"

    def __init__(self) -> None:
        """Create an unfitted engine."""
        self._trees: TreeEnsemble | None = None
        self._groups: dict[str, tuple[int, ...]] = {}
        self._columns: list[int] = []
        self._reference = np.empty(0)
        self._reference_value = 0.0
        self._group_means: dict[str, float] = {}
        self._ridge: RidgeEngine | None = None
        self._explainable = False

    def fit(
        self,
        features: FloatArray,
        target: FloatArray,
        layout: FeatureLayout,
        *,
        age_hours: FloatArray | None = None,
        explainable: bool = True,
    ) -> None:
        """Fit the boosted trees, the reference row, each group's mean term and the ridge.

        ``explainable=False`` skips the reference row and the group means, which only
        :meth:`explain` uses (a twentieth of the fit).

        ``age_hours`` weighs the ridge's rows only: weighted absolute-error boosting fits
        about five times slower (over the fit budget), and a 365-day half-life did not help
        the trees on the household validation year (9.95 % vs 9.94 %; 120 days: 8.9 %).

        Raises:
            ValueError: The exported trees do not reproduce scikit-learn's prediction.
        """
        # Here only: importing scikit-learn in Home Assistant's process would stall it.
        from sklearn.ensemble import HistGradientBoostingRegressor  # noqa: PLC0415

        names = layout.names
        unused = UNUSED_COLUMNS - DAYLIGHT_COLUMNS if "darkness" in names else UNUSED_COLUMNS
        self._columns = [index for index, name in enumerate(names) if name not in unused]
        position = {column: number for number, column in enumerate(self._columns)}
        self._groups = {
            group: tuple(position[index] for index in indices if index in position)
            for group, indices in layout.group_indices().items()
        }
        if RECENT_LEVEL in self._groups:
            # A column may appear twice in ``_columns``: the copy belongs to the level group.
            extra = [names.index(name) for name in LEVEL_INTERACTIONS if name in names]
            start = len(self._columns)
            self._columns.extend(extra)
            self._groups[RECENT_LEVEL] = (
                *self._groups[RECENT_LEVEL],
                *range(start, start + len(extra)),
            )
        used = features[:, self._columns]
        model = HistGradientBoostingRegressor(
            loss="absolute_error",
            learning_rate=0.1,
            max_iter=MAX_ITER,
            max_leaf_nodes=15,
            min_samples_leaf=40,
            l2_regularization=1.0,
            early_stopping=False,
            interaction_cst=[list(indices) for indices in self._groups.values()],
            random_state=0,
        )
        with single_thread(self.name):
            model.fit(used, target)
            trees = TreeEnsemble.from_sklearn(model)
            _check_export(trees, model.predict, used[:: max(1, len(used) // EXPORT_CHECK_ROWS)])
            self._explainable = explainable
            if explainable:
                self._reference = np.median(used, axis=0)
                step = max(1, len(features) // CENTERING_ROWS)
                # scikit-learn is faster than the NumPy walk on these thousands of stacked
                # rows, and gives the same sums.
                terms = self._group_terms(features[::step], model.predict)
                self._group_means = {group: float(values.mean()) for group, values in terms.items()}
        self._trees = trees
        ridge = RidgeEngine()
        ridge.fit(features, target, layout, age_hours=age_hours, explainable=explainable)
        self._ridge = ridge

    def _require_explainable(self) -> None:
        if not self._explainable:
            msg = "fitted with explainable=False: it can predict only"
            raise RuntimeError(msg)

    def _group_terms(
        self, features: FloatArray, predict: Callable[[FloatArray], FloatArray]
    ) -> dict[str, FloatArray]:
        """Each group's term relative to the reference row, with one ``predict`` call."""
        features = features[:, self._columns]
        rows = len(features)
        stacked = np.tile(self._reference, ((len(self._groups) + 1) * rows + 1, 1))
        stacked[:rows] = features
        for number, indices in enumerate(self._groups.values(), start=1):
            columns = list(indices)
            stacked[number * rows : (number + 1) * rows, columns] = features[:, columns]
        predicted = predict(stacked)
        self._reference_value = float(predicted[-1])
        return {
            group: predicted[number * rows : (number + 1) * rows] - self._reference_value
            for number, group in enumerate(self._groups, start=1)
        }

    def predict(self, features: FloatArray) -> FloatArray:
        """Median forecast per row."""
        assert self._trees is not None  # noqa: S101
        assert self._ridge is not None  # noqa: S101
        trees = self._trees.predict(features[:, self._columns])
        return TREE_WEIGHT * trees + (1.0 - TREE_WEIGHT) * self._ridge.predict(features)

    def explain(self, features: FloatArray) -> Explained:
        """Exact additive parts: each part is the blend of the two models' parts.

        The trees' baseline is their mean training prediction, the ridge's its intercept.
        """
        assert self._trees is not None  # noqa: S101
        assert self._ridge is not None  # noqa: S101
        self._require_explainable()
        terms = self._group_terms(features, self._trees.predict)
        ridge = self._ridge.explain(features)
        baseline_value = (
            TREE_WEIGHT * (self._reference_value + sum(self._group_means.values()))
            + (1.0 - TREE_WEIGHT) * self._ridge.intercept
        )
        contributions = {
            group: TREE_WEIGHT * (terms[group] - self._group_means[group])
            + (1.0 - TREE_WEIGHT) * ridge.contributions[group]
            for group in terms
        }
        baseline = np.full(len(features), baseline_value)
        p50 = baseline + np.sum(list(contributions.values()), axis=0)
        return Explained(p50=p50, baseline=baseline, contributions=contributions)

    def get_state(self) -> tuple[dict[str, Any], dict[str, FloatArray], bytes | None]:
        """Plain metadata and arrays, nothing pickled.

        The trees' arrays have the prefix ``trees:``, the ridge's ``ridge:``.
        """
        assert self._trees is not None  # noqa: S101
        assert self._ridge is not None  # noqa: S101
        self._require_explainable()
        ridge_meta, ridge_arrays, _ = self._ridge.get_state()
        meta = {
            "groups": {group: list(indices) for group, indices in self._groups.items()},
            "columns": self._columns,
            "reference_value": self._reference_value,
            "group_means": self._group_means,
            "tree_weight": TREE_WEIGHT,
            "ridge": ridge_meta,
            "trees": self._trees.meta(),
        }
        arrays = {"reference": self._reference}
        arrays.update({f"trees:{name}": values for name, values in self._trees.arrays().items()})
        arrays.update({f"ridge:{name}": values for name, values in ridge_arrays.items()})
        return meta, arrays, None

    @classmethod
    def from_state(
        cls, meta: dict[str, Any], arrays: dict[str, FloatArray], blob: bytes | None
    ) -> BoostingEngine:
        """Rebuild from :meth:`get_state` output.

        Raises:
            ValueError: The trees' or the ridge's state is missing or damaged (a state of an
                older format holds a pickled model instead of tree arrays), or the state was
                saved with another blend weight.
        """
        if blob is not None or "trees" not in meta:
            msg = "the sklearn engine state has no tree arrays (an older format)"
            raise ValueError(msg)
        if "ridge" not in meta or meta.get("tree_weight") != TREE_WEIGHT:
            msg = "the sklearn engine state has no ridge or another blend weight"
            raise ValueError(msg)
        engine = cls()
        engine._trees = TreeEnsemble.from_arrays(meta["trees"], _prefixed(arrays, "trees:"))
        engine._groups = {group: tuple(indices) for group, indices in meta["groups"].items()}
        engine._columns = [int(index) for index in meta["columns"]]
        engine._reference = arrays["reference"]
        engine._reference_value = float(meta["reference_value"])
        engine._group_means = {group: float(value) for group, value in meta["group_means"].items()}
        engine._ridge = RidgeEngine.from_state(meta["ridge"], _prefixed(arrays, "ridge:"))
        engine._explainable = True
        return engine


def _prefixed(arrays: dict[str, FloatArray], prefix: str) -> dict[str, FloatArray]:
    """The arrays whose names start with ``prefix``, under their names without it."""
    return {
        name.removeprefix(prefix): values
        for name, values in arrays.items()
        if name.startswith(prefix)
    }


def _check_export(
    trees: TreeEnsemble, predict: Callable[[FloatArray], FloatArray], rows: FloatArray
) -> None:
    """Raise unless the exported trees predict ``rows`` as scikit-learn does."""
    difference = float(np.max(np.abs(trees.predict(rows) - predict(rows)), initial=0.0))
    if not difference <= EXPORT_TOLERANCE:
        msg = f"exported trees differ from scikit-learn's prediction by {difference}"
        raise ValueError(msg)
