"""End-to-end tests start a real hass process (about a minute).

``scripts/test`` runs them (it sets ``FORESIGHT_E2E=1``); a plain ``pytest`` skips them so the
inner loop stays fast; ``pytest -m e2e tests/e2e`` runs them alone.
"""

from collections.abc import AsyncIterator, Iterator
import os
from pathlib import Path

import pytest

from .harness import Api, LiveHass, open_api, running_hass


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip e2e tests unless the marker expression or FORESIGHT_E2E asks for them.

    ``-m browser`` asks for them too: the browser test is an e2e test (it needs the live hass).
    """
    markexpr = config.getoption("markexpr") or ""
    if "e2e" in markexpr or "browser" in markexpr or os.environ.get("FORESIGHT_E2E") == "1":
        return
    skip = pytest.mark.skip(reason="starts a real hass: run with -m e2e (or FORESIGHT_E2E=1)")
    for item in items:
        if item.get_closest_marker("e2e") is not None:
            item.add_marker(skip)


@pytest.fixture
def live_hass(tmp_path: Path, socket_enabled: None) -> Iterator[LiveHass]:
    """Start hass with the demo home on a free loopback port; stop it (SIGTERM) afterwards."""
    with running_hass(tmp_path) as live:
        yield live


@pytest.fixture
async def api(live_hass: LiveHass) -> AsyncIterator[Api]:
    """A client session for the live hass (closed before the process is stopped)."""
    async with open_api(live_hass) as client:
        yield client
