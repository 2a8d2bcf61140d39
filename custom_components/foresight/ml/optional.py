"""Optional libraries: scikit-learn cannot be installed everywhere Home Assistant runs."""

import importlib.util


def sklearn_available() -> bool:
    """Whether scikit-learn can be imported, without importing it (an import costs seconds).

    Home Assistant OS and the container image are musl-based and get no scikit-learn wheels.
    """
    try:
        return importlib.util.find_spec("sklearn") is not None
    except ValueError:
        # find_spec raises when sys.modules holds None for it (tests block it that way).
        return False
