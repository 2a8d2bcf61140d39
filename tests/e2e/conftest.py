"""End-to-end tests start a real hass process (about a minute).

``scripts/test`` runs them (it sets ``FORESIGHT_E2E=1``); a plain ``pytest`` skips them so the
inner loop stays fast; ``pytest -m e2e tests/e2e`` runs them alone.
"""

import os

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip e2e tests unless the marker expression or FORESIGHT_E2E asks for them."""
    if "e2e" in (config.getoption("markexpr") or "") or os.environ.get("FORESIGHT_E2E") == "1":
        return
    skip = pytest.mark.skip(reason="starts a real hass: run with -m e2e (or FORESIGHT_E2E=1)")
    for item in items:
        if item.get_closest_marker("e2e") is not None:
            item.add_marker(skip)
