"""The ridge engine's solver against textbook formulas on small random problems."""

from __future__ import annotations

import numpy as np
import pytest

from custom_components.foresight.ml.forecast.engines.numpy_ridge import (
    PENALTIES,
    _choose_penalty,
    _normal_equations,
    _weighted_ridge,
)


def _problem(seed: int, rows: int = 300, columns: int = 12) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    design = rng.normal(size=(rows, columns))
    design -= design.mean(axis=0)
    design /= design.std(axis=0)
    target = design @ rng.normal(size=columns) + rng.normal(scale=2.0, size=rows) + 3.0
    return design, target


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_weighted_ridge_matches_the_explicit_weighted_least_squares(seed: int) -> None:
    design, target = _problem(seed)
    weights = np.random.default_rng(seed + 10).uniform(0.1, 3.0, size=len(target))
    penalty = 10.0

    coef, intercept = _weighted_ridge(design, target, weights, penalty)

    # Minimise sum w (y - b - X c)^2 + penalty |c|^2 with an unpenalised intercept b,
    # weights scaled to sum to the rows, as the engine documents.
    scaled = weights * len(weights) / weights.sum()
    augmented = np.column_stack([np.ones(len(target)), design])
    gram = augmented.T @ (scaled[:, None] * augmented)
    gram[1:, 1:] += penalty * np.eye(design.shape[1])
    solution = np.linalg.solve(gram, augmented.T @ (scaled * target))
    np.testing.assert_allclose(coef, solution[1:], rtol=1e-9, atol=1e-12)
    assert intercept == pytest.approx(solution[0], rel=1e-9)


@pytest.mark.parametrize(
    ("noise", "expected"), [(0.1, 0.1), (1.0, 10.0), (3.0, 100.0), (10.0, 1000.0)]
)
def test_the_penalty_minimises_the_explicit_gcv_score(noise: float, expected: float) -> None:
    rng = np.random.default_rng(4)
    rows, columns = 120, 40
    design = rng.normal(size=(rows, columns))
    design -= design.mean(axis=0)
    design /= design.std(axis=0)
    target = 0.3 * design @ rng.normal(size=columns) + rng.normal(scale=noise, size=rows)
    centred = target - target.mean()

    def gcv(penalty: float) -> float:
        hat = design @ np.linalg.solve(design.T @ design + penalty * np.eye(columns), design.T)
        residual = centred - hat @ centred
        return rows * float(residual @ residual) / (rows - float(np.trace(hat)) - 1) ** 2

    chosen = _choose_penalty(_normal_equations(design, target, np.ones(rows)))

    assert chosen == min(PENALTIES, key=gcv)
    # Noisier targets need more shrinkage: each case lands on a different penalty.
    assert chosen == expected
