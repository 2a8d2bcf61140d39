"""Fit the per-lead ridge models on a grid and predict changes with them."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .features import FeatureContext, lead_features
from .grid import SensorGrid
from .model import LeadModel, fit_ridge

type FloatArray = npt.NDArray[np.float64]
type IntArray = npt.NDArray[np.int64]

#: Most training rows per lead bucket (evenly thinned beyond that; months of 5-minute data).
MAX_ROWS = 12_000


def pair_origins(
    target: FloatArray, lead: int, start: int, stop: int, most: int = MAX_ROWS
) -> IntArray:
    """Issue positions in ``[start, stop - lead)`` with a known value now and at the lead."""
    origins = np.arange(max(start, 0), max(stop - lead, 0), dtype=np.int64)
    if origins.size == 0:
        return origins
    keep = np.isfinite(target[origins]) & np.isfinite(target[origins + lead])
    origins = np.asarray(origins[keep], dtype=np.int64)
    if origins.size > most:
        origins = origins[np.linspace(0, origins.size - 1, most).round().astype(np.int64)]
    return origins


def fit_lead_model(
    grid: SensorGrid, context: FeatureContext, leads: IntArray, stop: int
) -> LeadModel:
    """Fit one ridge per lead bucket on pairs whose target lies before ``stop``."""
    intercepts = []
    rows = []
    for lead in leads:
        origins = pair_origins(grid.target, int(lead), 0, stop)
        features = lead_features(context, origins, int(lead), grid.steps_per_hour)
        change = grid.target[origins + lead] - context.level[origins]
        intercept, coefficients = fit_ridge(features, change)
        intercepts.append(intercept)
        rows.append(coefficients)
    return LeadModel(
        leads=np.asarray(leads, dtype=np.int64),
        intercepts=np.asarray(intercepts, dtype=np.float64),
        coefficients=np.vstack(rows),
    )


def predict_change(
    model: LeadModel, context: FeatureContext, origins: IntArray, lead: int, per_hour: float
) -> FloatArray:
    """Predicted change from the level at ``origins`` for one lead."""
    intercept, coefficients = model.at(np.asarray([lead]))
    features = lead_features(context, origins, lead, per_hour)
    return np.asarray(intercept[0] + features @ coefficients[0], dtype=np.float64)
