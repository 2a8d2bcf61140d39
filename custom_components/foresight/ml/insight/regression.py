"""A small robust least-squares fit (iteratively reweighted least squares).

Huber weights first (a convex start that cannot go far wrong), then Tukey's bisquare, which
gives rows beyond about 4.7 robust standard deviations no weight at all: a day holding a
meter glitch worth tens of kWh must not tilt a slope, however many such days there are.
"""

from __future__ import annotations

import numpy as np

from .prepare import FloatArray

HUBER_K = 1.345
MAD_TO_SIGMA = 1.4826
BISQUARE_C = 4.685
HUBER_ITERATIONS = 5
ITERATIONS = 30


def robust_fit(design: FloatArray, target: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Coefficients of ``target ~ design`` that a few outlying rows cannot drag far.

    Rows far from the fit weigh less the farther they lie (Huber), then nothing beyond about
    4.7 robust standard deviations (bisquare), so a day with a meter glitch or a party barely
    moves the slopes.

    Returns:
        ``(coefficients, standard_errors)``; the errors are those of the final weighted least
        squares (infinite when a coefficient is not determined).
    """
    weights = np.ones(target.size)
    coefficients = np.zeros(design.shape[1])
    for iteration in range(ITERATIONS):
        root = np.sqrt(weights)
        coefficients = np.linalg.lstsq(design * root[:, None], target * root, rcond=None)[0]
        residuals = target - design @ coefficients
        scale = MAD_TO_SIGMA * float(np.median(np.abs(residuals - np.median(residuals))))
        if not scale > 0:
            break
        if iteration < HUBER_ITERATIONS:
            distance = np.abs(residuals) / (HUBER_K * scale)
            new_weights = np.where(distance <= 1.0, 1.0, 1.0 / np.maximum(distance, 1.0))
        else:
            new_weights = np.clip(1.0 - (residuals / (BISQUARE_C * scale)) ** 2, 0.0, None) ** 2
        if iteration >= HUBER_ITERATIONS and np.allclose(new_weights, weights, atol=1e-4):
            break
        weights = new_weights
    residuals = target - design @ coefficients
    freedom = max(target.size - design.shape[1], 1)
    variance = float(np.sum(weights * residuals**2)) / freedom
    information = design.T @ (design * weights[:, None])
    try:
        covariance = variance * np.linalg.inv(information)
        errors = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    except np.linalg.LinAlgError:
        errors = np.full(design.shape[1], np.inf)
    return np.asarray(coefficients, dtype=np.float64), np.asarray(errors, dtype=np.float64)
