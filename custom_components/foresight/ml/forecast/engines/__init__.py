"""Regression engines behind one interface, and the choice between them.

Only fitting the scikit-learn engine imports scikit-learn: this package works without it, and
a fitted engine of either kind loads and predicts with NumPy alone.
"""

from __future__ import annotations

from typing import Any

from custom_components.foresight.ml.forecast.settings import EngineChoice
from custom_components.foresight.ml.optional import sklearn_available

from .base import Engine, Explained, FloatArray

__all__ = [
    "Engine",
    "Explained",
    "create_engine",
    "engine_from_state",
    "resolve_engine",
    "sklearn_available",
]


def resolve_engine(choice: EngineChoice) -> str:
    """Name of the engine to use for a choice; ``"auto"`` prefers scikit-learn.

    Raises:
        ImportError: ``"sklearn"`` was asked for and scikit-learn is not installed.
    """
    if choice == "numpy":
        return "numpy"
    if sklearn_available():
        return "sklearn"
    if choice == "sklearn":
        msg = "the sklearn engine needs scikit-learn, which is not installed"
        raise ImportError(msg)
    return "numpy"


def create_engine(name: str) -> Engine:
    """A fresh, unfitted engine by name (``"numpy"`` or ``"sklearn"``).

    Raises:
        ValueError: Unknown engine name.
    """
    if name == "numpy":
        from .numpy_ridge import RidgeEngine  # noqa: PLC0415

        return RidgeEngine()
    if name == "sklearn":
        from .sklearn_boosting import BoostingEngine  # noqa: PLC0415

        return BoostingEngine()
    msg = f"unknown engine {name!r}"
    raise ValueError(msg)


def engine_from_state(
    name: str, meta: dict[str, Any], arrays: dict[str, FloatArray], blob: bytes | None
) -> Engine:
    """Rebuild a fitted engine from what :meth:`Engine.get_state` returned.

    Raises:
        ValueError: Unknown engine name.
    """
    if name == "numpy":
        from .numpy_ridge import RidgeEngine  # noqa: PLC0415

        return RidgeEngine.from_state(meta, arrays)
    if name == "sklearn":
        from .sklearn_boosting import BoostingEngine  # noqa: PLC0415

        return BoostingEngine.from_state(meta, arrays, blob)
    msg = f"unknown engine {name!r}"
    raise ValueError(msg)
