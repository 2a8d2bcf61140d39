"""Run native thread pools (BLAS, OpenMP) on one thread while an engine computes.

Home Assistant shares a small machine with everything else; a fit that spreads over all
cores would stall it, and small matrices gain nothing from threads anyway. threadpoolctl
ships with scikit-learn; without it (NumPy-only installs) the limit is skipped.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
import functools
import importlib
from typing import Any


@functools.cache
def _controller(engine: str) -> Any:
    """Discover the loaded thread pools once per engine: discovery costs milliseconds.

    Keyed by engine because pools are found only once their library is loaded: the
    scikit-learn engine's OpenMP pool does not exist yet when the NumPy engine first asks.
    """
    try:
        threadpoolctl = importlib.import_module("threadpoolctl")
    except ImportError:
        return None
    return threadpoolctl.ThreadpoolController()


def single_thread(engine: str) -> AbstractContextManager[object]:
    """Context in which BLAS and OpenMP use one thread.

    Args:
        engine: Name of the calling engine, once its libraries are imported.
    """
    controller = _controller(engine)
    if controller is None:
        return nullcontext()
    limits: AbstractContextManager[object] = controller.limit(limits=1)
    return limits
