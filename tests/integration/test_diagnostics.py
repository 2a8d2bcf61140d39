"""Diagnostics: configuration, data quality, backtest and versions, and no raw history."""

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props


async def test_diagnostics(
    hass: HomeAssistant,
    # Before hass_client: the clock moves to the test's moment first, then the token is made.
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    # Library versions differ between environments; everything else is stable.
    assert diagnostics == snapshot(exclude=props("versions"))
    assert set(diagnostics["versions"]) == {"python", "numpy", "pandas", "scikit-learn"}
    assert "history" not in diagnostics
