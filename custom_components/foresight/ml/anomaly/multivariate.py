"""Optional multivariate detector: scikit-learn's IsolationForest over several sensors.

scikit-learn is imported lazily, here only, so the rest of the package works without it. The
forest is never pickled: its state is the small training sample plus a fixed seed, and it is
grown again (deterministically, in well under a second) when a detector is restored.
"""

from dataclasses import dataclass, field
import importlib.util
import math
from typing import Any

import numpy as np

from .forest import PackedForest
from .robust import FloatArray, nan_quantile

MAX_SAMPLE = 1024
"""Rows kept for (re)growing the forest; also bounds the persisted state."""
TREES = 100
SEED = 0
SCORE_QUANTILE = 0.9995
MAX_CALIBRATION = 8000
"""Readings scored to place the threshold (evenly spaced over the history)."""


def sklearn_available() -> bool:
    """Whether scikit-learn can be imported (without importing it)."""
    try:
        return importlib.util.find_spec("sklearn") is not None
    except ValueError:  # a module set to None in sys.modules (tests block it that way)
        return False


@dataclass(slots=True)
class MultivariateModel:
    """IsolationForest on robustly standardized channels.

    Attributes:
        sample: The standardized rows the forest grows from.
        typical: Median anomaly score of the history.
        threshold: The history's P99.95 anomaly score.
    """

    sample: list[list[float]]
    typical: float = math.nan
    threshold: float = math.nan
    _forest: PackedForest | None = field(default=None, repr=False)

    def _grow(self) -> PackedForest:
        if self._forest is None:
            from sklearn.ensemble import IsolationForest  # noqa: PLC0415 - optional, lazy

            forest = IsolationForest(
                n_estimators=TREES,
                max_samples=min(256, len(self.sample)),
                random_state=SEED,
                n_jobs=1,
            )
            forest.fit(np.asarray(self.sample, dtype=np.float64))
            self._forest = PackedForest.from_sklearn(forest)
        return self._forest

    def scores(self, rows: FloatArray) -> FloatArray:
        """Anomaly scores (higher = stranger) of standardized rows."""
        return self._grow().anomaly_scores(np.asarray(rows, dtype=np.float64))

    def evidence(self, row: FloatArray, margin: float) -> float:
        """One row's evidence as a multiple of the threshold."""
        score = float(self.scores(row.reshape(1, -1))[0])
        return max(score - self.typical, 0.0) / max((self.threshold - self.typical) * margin, 1e-9)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable state (no pickle)."""
        return {"sample": self.sample, "typical": self.typical, "threshold": self.threshold}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> MultivariateModel:
        """Rebuild from :meth:`to_dict` output (the forest regrows on first use)."""
        return cls(
            sample=[[float(x) for x in row] for row in state["sample"]],
            typical=float(state["typical"]),
            threshold=float(state["threshold"]),
        )


def fit_multivariate(rows: FloatArray) -> MultivariateModel | None:
    """Fit the forest on standardized rows (NaN rows dropped).

    Returns:
        The model, or ``None`` with fewer than 64 complete rows.
    """
    complete = rows[np.all(np.isfinite(rows), axis=1)]
    if len(complete) < 64:
        return None
    rng = np.random.default_rng(SEED)
    if len(complete) > MAX_SAMPLE:
        complete = complete[np.sort(rng.choice(len(complete), MAX_SAMPLE, replace=False))]
    model = MultivariateModel(sample=complete.tolist())
    usable = rows[np.all(np.isfinite(rows), axis=1)]
    # Scoring every reading of a long 5-second history costs seconds; evenly spaced readings
    # give the same quantile.
    usable = usable[:: max(1, len(usable) // MAX_CALIBRATION)]
    history = model.scores(usable)
    model.typical = float(np.median(history))
    model.threshold = max(nan_quantile(history, SCORE_QUANTILE), model.typical + 1e-6)
    return model
