"""Engines to parametrise forecast tests with.

The scikit-learn engine is tested where scikit-learn imports (not in the second run of
scripts/test, which blocks it as on Home Assistant OS).
"""

import pytest

from custom_components.foresight.ml.optional import sklearn_available

ENGINES = [
    "numpy",
    pytest.param(
        "sklearn", marks=pytest.mark.skipif(not sklearn_available(), reason="needs scikit-learn")
    ),
]
