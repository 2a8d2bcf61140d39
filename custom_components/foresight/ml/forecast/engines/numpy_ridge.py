"""NumPy-only engine: a ridge regression on encoded features, fitted towards the median.

Each feature group is encoded into its own block of design columns, so the prediction is a
sum of per-group terms. A few iteratively reweighted rounds move the fit from the mean
towards the median, which is what the MAE rewards on skewed household loads.

The ridge fits a log scale, ``log(1 + y / scale)``, and so do the recent levels it reads:
household loads are skewed and their effects multiplicative (an evening peak is larger when
the level is higher). The median commutes with the monotone transform, so the back-
transformed forecast is still a median. The per-group terms of the log-scale sum are turned
into kWh with a logarithmic-mean (LMDI) allocation, which keeps the explanation exact: the
parts sum to the forecast minus the baseline.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from custom_components.foresight.ml.forecast.features import (
    DAILY_PATTERN,
    HOLIDAY,
    LEVEL_COLUMNS,
    RECENT_LEVEL,
    SEASON,
    FeatureLayout,
)

from .base import Explained, FloatArray
from .threads import single_thread

#: Ridge penalties tried; generalised cross-validation picks one.
PENALTIES = (0.1, 1.0, 10.0, 100.0, 1000.0)
#: Reweighting rounds of the median fit; each costs one p-by-p solve.
MEDIAN_ROUNDS = 3
#: Half-life in days of the recency weight of a training row (given its age). On the
#: household validation year 180-365 days gained about 0.3 points of skill, 60-90 days less
#: or nothing; households drift over the years.
RECENCY_HALF_LIFE_DAYS = 240.0
#: Recent-level columns (positions in the group) that are interacted with the time of day:
#: yesterday, the 7-day and 28-day same-hour means, the same weekday-hour mean, the
#: exponentially weighted same-hour mean, both same-hour medians and the last day's mean.
HOUR_SPECIFIC_LEVELS = (0, 2, 3, 4, 8, 9, 10, 11)
#: The target's scale for the log transform, as a share of the median training target. On
#: the household validation year (model alone) the log scale gained about 1 point of skill
#: with 0.25-1 x the median (0.5: +1.06 points); 3 kWh (near-linear) gained less.
TARGET_SCALE_FACTOR = 0.5
#: Recent-level columns (positions in the group) whose weight changes over the year (they
#: are interacted with the season's sine and cosine when the season is used): yesterday, the
#: 7-day same-hour mean, the 7-day level and the last day's mean. On the household
#: validation years (model alone, after the last 24 hours' check) this gained +0.22 and
#: +0.20 points of skill; all eight hour-specific levels or two harmonics gained less.
SEASONAL_LEVELS = (
    LEVEL_COLUMNS.index("lag_day"),
    LEVEL_COLUMNS.index("same_hour_mean_7d"),
    LEVEL_COLUMNS.index("level_7d"),
    LEVEL_COLUMNS.index("last_day_mean"),
)
#: Position of the away gate (a 0-1 share, not in kWh) among the recent-level columns: the
#: only one that is not log-transformed with the target.
_AWAY_POSITION = LEVEL_COLUMNS.index("away")


def _one_hot(values: FloatArray, size: int) -> FloatArray:
    out = np.zeros((len(values), size))
    out[np.arange(len(values)), values.astype(np.int64) % size] = 1.0
    return out


def _encode_group(
    group: str, block: FloatArray, knots: FloatArray | None, scale: float
) -> FloatArray:
    """Design columns of one group from its raw columns (``scale``: see ``_to_log``)."""
    if group == DAILY_PATTERN:
        hour, weekday = block[:, 0], block[:, 1]
        day_type = np.minimum(np.maximum(weekday - 4, 0), 2)  # weekday, Saturday, Sunday
        return np.hstack([_one_hot(hour + 24 * day_type, 72), _one_hot(weekday, 7)])
    if group == HOLIDAY:
        holiday_hour = block[:, 0]
        part = np.floor_divide(np.maximum(holiday_hour, 0), 6)
        return _one_hot(part, 4) * (holiday_hour >= 0)[:, None]
    if group == SEASON:
        sine, cosine, hour = block[:, 0], block[:, 1], block[:, 2]
        annual = np.column_stack([sine, cosine, 2 * sine * cosine, cosine**2 - sine**2])
        # The time of year shifts the daily profile: interact it with 3-hour blocks.
        blocks = _one_hot(np.floor_divide(hour, 3), 8)
        parts = [annual, sine[:, None] * blocks, cosine[:, None] * blocks]
        if block.shape[1] > 3:
            # How dark the hour is (the home's location is known), by hour of the day:
            # lighting follows the sunset, which the sine and cosine only approximate.
            parts.append(block[:, 3:4] * _one_hot(hour, 24))
        return np.hstack(parts)
    if group == RECENT_LEVEL:
        count = len(LEVEL_COLUMNS)
        levels, hour, season = block[:, :count], block[:, count], block[:, count + 1 :]
        if scale > 0:
            # The levels on the target's log scale (the away gate is a share: kept as is).
            kwh = [index for index in range(levels.shape[1]) if index != _AWAY_POSITION]
            levels = levels.copy()
            levels[:, kwh] = _to_log(np.maximum(levels[:, kwh], 0.0), scale)
        # Same-hour lags weigh differently by time of day: interact them with 3-hour blocks.
        blocks = _one_hot(np.floor_divide(hour, 3), 8)
        lags = levels[:, list(HOUR_SPECIFIC_LEVELS)]
        interactions = (lags[:, :, None] * blocks[:, None, :]).reshape(len(block), -1)
        parts = [levels, interactions]
        if season.shape[1]:
            # ... and by time of year (the group's copies of the season's sine and cosine).
            seasonal = levels[:, list(SEASONAL_LEVELS)]
            parts.append((seasonal[:, :, None] * season[:, None, :]).reshape(len(block), -1))
        return np.hstack(parts)
    # Exogenous sensors: a hinge at the median lets e.g. heating start below a temperature.
    knot = knots[0] if knots is not None else 0.0
    return np.column_stack([block, np.maximum(block[:, 0] - knot, 0.0)])


class RidgeEngine:
    """Additive ridge regression with generalised cross-validation of the penalty."""

    name = "numpy"

    def __init__(self) -> None:
        """Create an unfitted engine."""
        self._layout: FeatureLayout | None = None
        self._knots: dict[str, FloatArray] = {}
        self._center = np.empty(0)
        self._scale = np.empty(0)
        self._coef = np.empty(0)
        self._intercept = 0.0
        self._blocks: dict[str, slice] = {}
        self.penalty = 0.0
        #: Scale of the log transform of the target and levels; 0 = no transform.
        self.scale = 0.0

    def _design(self, features: FloatArray) -> FloatArray:
        assert self._layout is not None  # noqa: S101  (fit or from_state ran)
        parts: list[FloatArray] = []
        for group, indices in self._layout.group_indices().items():
            block = features[:, list(indices)]
            parts.append(_encode_group(group, block, self._knots.get(group), self.scale))
        return np.hstack(parts)

    def _set_blocks(self, features: FloatArray) -> None:
        assert self._layout is not None  # noqa: S101
        start = 0
        for group, indices in self._layout.group_indices().items():
            width = _encode_group(
                group, features[:1, list(indices)], self._knots.get(group), self.scale
            ).shape[1]
            self._blocks[group] = slice(start, start + width)
            start += width

    def fit(
        self,
        features: FloatArray,
        target: FloatArray,
        layout: FeatureLayout,
        *,
        age_hours: FloatArray | None = None,
        explainable: bool = True,  # the ridge's explanation costs nothing to fit
    ) -> None:
        """Fit the penalty by GCV, then refit towards the median with reweighting.

        Rows are weighted by recency (half-life ``RECENCY_HALF_LIFE_DAYS``) when their ages
        are given; the penalty is chosen on the unweighted rows. The fit is on the log
        scale unless the target goes below zero or has no positive level (``target_scale``).
        """
        recency = recency_weights(age_hours, len(target))
        with single_thread(self.name):
            self._fit(features, target, layout, recency)

    def _fit(
        self, features: FloatArray, target: FloatArray, layout: FeatureLayout, recency: FloatArray
    ) -> None:
        self._layout = layout
        self.scale = target_scale(target)
        target = _to_log(target, self.scale)
        indices = layout.group_indices()
        self._knots = {
            name: np.array([np.median(features[:, indices[name][0]])]) for name in layout.exogenous
        }
        self._set_blocks(features)
        # Standardised in place: the design matrix is the fit's largest array (tens of MB).
        standard = self._design(features)
        self._center = standard.mean(axis=0)
        scale = standard.std(axis=0)
        self._scale = np.where(scale > 1e-12, scale, 1.0)
        standard -= self._center
        standard /= self._scale
        # The penalty is chosen on the unweighted rows: choosing it on the recency-weighted
        # first round (one Gram matrix fewer) cost 0.27 points of skill on the 2007-08
        # household validation year.
        self.penalty = _choose_penalty(_normal_equations(standard, target, np.ones(len(target))))
        weights = recency
        for _ in range(MEDIAN_ROUNDS + 1):
            coef, intercept = _weighted_ridge(standard, target, weights, self.penalty)
            residual = np.abs(target - intercept - standard @ coef)
            # Floor the residual so near-perfect rows do not take all the weight.
            floor = max(float(np.median(residual)) * 0.1, 1e-9)
            weights = recency / np.maximum(residual, floor)
        self._coef, self._intercept = coef, intercept

    @property
    def intercept(self) -> float:
        """The explanation's baseline in the target's unit.

        The intercept is the mean training prediction on the log scale (the design columns
        are centred), so this is that mean, back-transformed.
        """
        return float(_from_log(np.array([self._intercept]), self.scale)[0])

    def predict(self, features: FloatArray) -> FloatArray:
        """Median forecast per row."""
        standard = (self._design(features) - self._center) / self._scale
        return _from_log(self._intercept + standard @ self._coef, self.scale)

    def explain(self, features: FloatArray) -> Explained:
        """Per-group parts in the target's unit; the baseline is the intercept.

        On the log scale group ``g`` adds ``t_g`` to the intercept ``b``. With
        ``B = scale * expm1(b)`` and ``P = scale * expm1(b + T)``, ``T = sum(t_g)``, group
        ``g`` gets ``t_g * (P - B) / T``: the log-scale terms weighted by the logarithmic
        mean of ``scale + P`` and ``scale + B`` (LMDI), so the parts sum to ``P - B``
        exactly and each keeps its sign. As ``T`` goes to 0 the weight goes to ``scale + B``.
        """
        standard = (self._design(features) - self._center) / self._scale
        terms = {
            group: standard[:, block] @ self._coef[block] for group, block in self._blocks.items()
        }
        if self.scale > 0:
            total = np.sum(list(terms.values()), axis=0)
            nonzero = np.where(total == 0.0, 1.0, total)
            # (P - B) / T = (scale + B) * expm1(T) / T, accurate for a small T; 1 at T = 0.
            growth = np.where(total == 0.0, 1.0, np.expm1(nonzero) / nonzero)
            weight = self.scale * np.exp(self._intercept) * growth
            terms = {group: term * weight for group, term in terms.items()}
        baseline = np.full(len(features), self.intercept)
        p50 = baseline + np.sum(list(terms.values()), axis=0)
        return Explained(p50=p50, baseline=baseline, contributions=terms)

    def get_state(self) -> tuple[dict[str, Any], dict[str, FloatArray], bytes | None]:
        """Plain arrays only: no pickle is ever needed for this engine."""
        assert self._layout is not None  # noqa: S101
        meta = {
            "groups": [[group, list(columns)] for group, columns in self._layout.groups],
            "exogenous": list(self._layout.exogenous),
            "intercept": self._intercept,
            "penalty": self.penalty,
            "scale": self.scale,
        }
        arrays = {"center": self._center, "scale": self._scale, "coef": self._coef}
        arrays.update({f"knot:{name}": knot for name, knot in self._knots.items()})
        return meta, arrays, None

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, FloatArray]) -> RidgeEngine:
        """Rebuild a fitted engine from :meth:`get_state` output."""
        engine = cls()
        engine._layout = FeatureLayout(
            groups=tuple((str(group), tuple(columns)) for group, columns in meta["groups"]),
            exogenous=tuple(meta["exogenous"]),
        )
        engine._knots = {name: arrays[f"knot:{name}"] for name in engine._layout.exogenous}
        engine._center, engine._scale = arrays["center"], arrays["scale"]
        engine._coef = arrays["coef"]
        engine._intercept = float(meta["intercept"])
        engine.penalty = float(meta["penalty"])
        engine.scale = float(meta["scale"])
        engine._set_blocks(np.zeros((1, len(engine._layout.names))))
        return engine


def target_scale(target: FloatArray) -> float:
    """Scale of the log transform: ``TARGET_SCALE_FACTOR`` x the median target.

    The mean stands in for a median of zero (a device that is mostly off); 0 (no transform)
    when the target goes below zero (e.g. net export) or is zero throughout.
    """
    if target.size == 0 or not float(np.min(target)) >= 0.0:
        return 0.0
    level = float(np.median(target))
    if level <= 0.0:
        level = float(np.mean(target))
    return TARGET_SCALE_FACTOR * level if level > 0.0 else 0.0


def _to_log(values: FloatArray, scale: float) -> FloatArray:
    """``log(1 + values / scale)``; the values themselves when ``scale`` is 0."""
    if scale <= 0.0:
        return values
    return np.asarray(np.log1p(values / scale), dtype=np.float64)


def _from_log(values: FloatArray, scale: float) -> FloatArray:
    """Inverse of ``_to_log``."""
    if scale <= 0.0:
        return np.asarray(values, dtype=np.float64)
    return np.asarray(scale * np.expm1(values), dtype=np.float64)


def recency_weights(age_hours: FloatArray | None, rows: int) -> FloatArray:
    """Row weights halving every ``RECENCY_HALF_LIFE_DAYS`` of age (ones without ages).

    Raises:
        ValueError: ``age_hours`` does not have one finite value per row.
    """
    if age_hours is None:
        return np.ones(rows)
    ages = np.asarray(age_hours, dtype=np.float64)
    if ages.shape != (rows,) or not np.all(np.isfinite(ages)):
        msg = f"age_hours must hold {rows} finite values"
        raise ValueError(msg)
    # Relative to the youngest row, so the weights are at most 1 whatever the origin.
    return np.asarray(
        0.5 ** ((ages - ages.min()) / (RECENCY_HALF_LIFE_DAYS * 24.0)), dtype=np.float64
    )


class _NormalEquations(NamedTuple):
    """Weighted, centred normal equations of a ridge fit (weights scaled to sum to the rows)."""

    gram: FloatArray
    rhs: FloatArray
    mean_x: FloatArray
    mean_y: float
    #: Weighted sum of squares of the centred target.
    total: float
    rows: int


def _normal_equations(
    standard: FloatArray, target: FloatArray, weights: FloatArray
) -> _NormalEquations:
    rows = len(weights)
    weights = weights * (rows / weights.sum())
    root = np.sqrt(weights)
    # One scaled copy of the design; centring is applied to the product, not to the copy:
    # sum w (x - m)(x - m)' = X'WX - rows m m' when the weights sum to the rows.
    scaled = standard * root[:, None]
    mean_x = root @ scaled / rows
    mean_y = float(weights @ target / rows)
    # ``scaled.T @ scaled`` lets NumPy use a symmetric rank-k update: half the work of a GEMM.
    gram = scaled.T @ scaled
    gram -= rows * np.outer(mean_x, mean_x)
    centred_y = target - mean_y
    rhs = scaled.T @ (centred_y * root)
    total = float(weights @ centred_y**2)
    return _NormalEquations(gram, rhs, mean_x, mean_y, total, rows)


def _weighted_ridge(
    standard: FloatArray, target: FloatArray, weights: FloatArray, penalty: float
) -> tuple[FloatArray, float]:
    """Ridge coefficients and unpenalised intercept for row weights."""
    system = _normal_equations(standard, target, weights)
    gram = system.gram
    gram[np.diag_indices_from(gram)] += penalty
    coef = np.asarray(np.linalg.solve(gram, system.rhs), dtype=np.float64)
    return coef, system.mean_y - float(system.mean_x @ coef)


def _choose_penalty(system: _NormalEquations) -> float:
    """Penalty with the lowest generalised cross-validation error.

    One eigendecomposition serves every penalty; the residual sum of squares follows from
    the eigenvalues and the projected right-hand side, without another pass over the rows.
    """
    eigenvalues, eigenvectors = np.linalg.eigh(system.gram)
    eigenvalues = np.maximum(eigenvalues, 0.0)
    projected = eigenvectors.T @ system.rhs
    best, best_score = PENALTIES[0], np.inf
    for penalty in PENALTIES:
        shrink = 1.0 / (eigenvalues + penalty)
        residual_ss = system.total - float(projected**2 @ (2.0 * shrink - eigenvalues * shrink**2))
        dof = float(eigenvalues @ shrink)
        score = system.rows * max(residual_ss, 0.0) / max(system.rows - dof - 1, 1.0) ** 2
        if score < best_score:
            best, best_score = penalty, score
    return best
