"""Boosted regression trees as plain NumPy arrays, predicted without scikit-learn.

Unpickling a scikit-learn model imports scikit-learn and SciPy: tens of milliseconds holding
the GIL (Home Assistant's event loop stalls) and about 100 MB. The fitted trees are copied
once into padded arrays (trees x nodes) and every row walks all trees together, one level
per step, with scikit-learn's own rule on raw features: a NaN follows the node's missing
direction, any other value goes left when ``value <= threshold``. Leaves point to themselves,
so rows that reach a leaf early stay there while deeper trees finish.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from .base import FloatArray

type IndexArray = npt.NDArray[np.intp]
type BoolArray = npt.NDArray[np.bool_]

#: Names of the arrays in :meth:`TreeEnsemble.arrays` (and :meth:`TreeEnsemble.from_arrays`).
ARRAY_NAMES = ("feature", "threshold", "missing_left", "left", "right", "value")


@dataclass(frozen=True, slots=True)
class TreeEnsemble:
    """The sum of regression trees plus a baseline, as padded arrays (trees x nodes).

    Attributes:
        feature: Column tested at each node (0 at leaves and padding).
        threshold: Split value at each node; rows with ``value <= threshold`` go left.
        missing_left: Whether a NaN goes left at each node.
        left: Left child in the same tree (the node itself at leaves and padding).
        right: Right child in the same tree (the node itself at leaves and padding).
        value: Leaf values (0 elsewhere), learning rate included.
        baseline: Constant added to the sum of the trees.
        depth: Edges on the longest path from a root to a leaf.
        columns: Number of columns of the rows to predict.
    """

    feature: IndexArray
    threshold: FloatArray
    missing_left: BoolArray
    left: IndexArray
    right: IndexArray
    value: FloatArray
    baseline: float
    depth: int
    columns: int

    @classmethod
    def from_sklearn(cls, model: Any) -> Self:
        """Copy the trees out of a fitted ``HistGradientBoostingRegressor``.

        Raises:
            ValueError: The model has categorical splits, several trees per iteration or a
                non-identity link; only numeric single-output regression is read.
        """
        link = type(model._loss.link).__name__  # noqa: SLF001
        if link != "IdentityLink":
            msg = f"cannot export trees with a {link}"
            raise ValueError(msg)
        if any(len(iteration) != 1 for iteration in model._predictors):  # noqa: SLF001
            msg = "cannot export more than one tree per boosting iteration"
            raise ValueError(msg)
        nodes = [iteration[0].nodes for iteration in model._predictors]  # noqa: SLF001
        if any(np.any(tree["is_categorical"] & ~tree["is_leaf"].astype(bool)) for tree in nodes):
            msg = "cannot export trees with categorical splits"
            raise ValueError(msg)
        width = max(len(tree) for tree in nodes)
        shape = (len(nodes), width)
        local = np.broadcast_to(np.arange(width), shape)
        feature = np.zeros(shape, dtype=np.intp)
        threshold = np.zeros(shape)
        missing_left = np.zeros(shape, dtype=bool)
        left = local.copy()
        right = local.copy()
        value = np.zeros(shape)
        depth = 0
        for number, tree in enumerate(nodes):
            count = len(tree)
            leaf = tree["is_leaf"].astype(bool)
            inner = ~leaf
            feature[number, :count][inner] = tree["feature_idx"][inner]
            threshold[number, :count][inner] = tree["num_threshold"][inner]
            missing_left[number, :count][inner] = tree["missing_go_to_left"][inner].astype(bool)
            left[number, :count][inner] = tree["left"][inner]
            right[number, :count][inner] = tree["right"][inner]
            value[number, :count][leaf] = tree["value"][leaf]
            depth = max(depth, int(tree["depth"][leaf].max()))
        baseline = float(np.asarray(model._baseline_prediction).reshape(-1)[0])  # noqa: SLF001
        return cls(
            feature,
            threshold,
            missing_left,
            left,
            right,
            value,
            baseline,
            depth,
            int(model.n_features_in_),
        )

    def predict(self, rows: FloatArray) -> FloatArray:
        """Baseline plus each tree's leaf value per row (= scikit-learn's ``predict``).

        The trees are added one by one in their order, as scikit-learn does, so that the
        sums agree to the last bit rather than only to rounding.

        Raises:
            ValueError: The rows have another number of columns than the trees were fitted on.
        """
        rows = np.ascontiguousarray(rows, dtype=np.float64)
        count, columns = rows.shape
        if columns != self.columns:
            msg = f"rows have {columns} columns, the trees were fitted on {self.columns}"
            raise ValueError(msg)
        flat_rows = rows.reshape(-1)
        row_starts = np.arange(count) * columns
        # Nodes are numbered across all trees (``tree * width + node``), so that one gather
        # reads all trees at once, and the child ``2 * node + goes_right`` is one gather
        # instead of two and a select.
        trees, width = self.value.shape
        roots = (np.arange(trees) * width)[:, None]
        node = np.repeat(roots, count, axis=1)
        feature = self.feature.reshape(-1)
        threshold = self.threshold.reshape(-1)
        children = np.stack([self.left + roots, self.right + roots], axis=-1).reshape(-1)
        missing_right = ~self.missing_left.reshape(-1)
        with_missing = bool(np.isnan(flat_rows).any())
        for _ in range(self.depth):
            tested = flat_rows[row_starts + feature[node]]
            goes_right = tested > threshold[node]
            if with_missing:
                goes_right |= np.isnan(tested) & missing_right[node]
            node = children[2 * node + goes_right]
        leaf_values = self.value.reshape(-1)[node]
        total = np.full(count, self.baseline)
        for tree_values in leaf_values:
            total += tree_values
        return total

    def arrays(self) -> dict[str, FloatArray]:
        """Plain float arrays to store (integers and flags are exact in float64)."""
        return {name: np.asarray(getattr(self, name), dtype=np.float64) for name in ARRAY_NAMES}

    def meta(self) -> dict[str, float | int]:
        """JSON-able scalars to store next to :meth:`arrays`."""
        return {"baseline": self.baseline, "depth": self.depth, "columns": self.columns}

    @classmethod
    def from_arrays(cls, meta: dict[str, Any], arrays: dict[str, FloatArray]) -> Self:
        """Rebuild from :meth:`meta` and :meth:`arrays`.

        Raises:
            ValueError: An array is missing, the shapes differ, or a child or feature number
                is out of range.
        """
        missing = [name for name in ARRAY_NAMES if name not in arrays]
        if missing:
            msg = f"tree arrays missing: {', '.join(missing)}"
            raise ValueError(msg)
        shape = arrays["value"].shape
        if len(shape) != 2 or any(arrays[name].shape != shape for name in ARRAY_NAMES):
            msg = "tree arrays differ in shape"
            raise ValueError(msg)
        left = arrays["left"].astype(np.intp)
        right = arrays["right"].astype(np.intp)
        feature = arrays["feature"].astype(np.intp)
        columns = int(meta["columns"])
        if np.any((left < 0) | (left >= shape[1]) | (right < 0) | (right >= shape[1])) or np.any(
            (feature < 0) | (feature >= columns)
        ):
            msg = "tree child or feature numbers out of range"
            raise ValueError(msg)
        return cls(
            feature,
            np.asarray(arrays["threshold"], dtype=np.float64),
            arrays["missing_left"].astype(bool),
            left,
            right,
            np.asarray(arrays["value"], dtype=np.float64),
            float(meta["baseline"]),
            int(meta["depth"]),
            columns,
        )
