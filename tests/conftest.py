"""Shared test set-up.

The test plugin ships its own ``testing_config/custom_components`` package. Importing the
project's package first makes Home Assistant find this project's integration.
"""

import custom_components  # noqa: F401
