"""Shared test set-up.

The test plugin ships its own ``testing_config/custom_components`` package. Importing the
project's package first makes Home Assistant find this project's integration.

``FORESIGHT_WITHOUT_SKLEARN=1`` makes scikit-learn unimportable, as it is on Home Assistant OS
and the container image (musl): ``scripts/test`` runs the suite a second time that way.
"""

import os
import sys

import custom_components  # noqa: F401

if os.environ.get("FORESIGHT_WITHOUT_SKLEARN") == "1":
    for name in [name for name in sys.modules if name.split(".")[0] == "sklearn"]:
        del sys.modules[name]
    sys.modules["sklearn"] = None  # type: ignore[assignment]
