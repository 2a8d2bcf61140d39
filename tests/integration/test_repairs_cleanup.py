"""Repairs follow the forecaster that is shown, and go away with their entry."""

from dataclasses import replace
from http import HTTPStatus
from types import SimpleNamespace
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.foresight import repairs
from custom_components.foresight.const import DOMAIN

from .home import OUTDOOR

GONE_ENTRY = "01JFORESIGHTREMOVEDENTRY00"


def _issue(hass: HomeAssistant, kind: str, entry_id: str, suffix: str = "") -> Any:
    issue_id = f"{kind}_{entry_id}" + (f"_{suffix}" if suffix else "")
    return ir.async_get(hass).async_get_issue(DOMAIN, issue_id)


def _watch(*, serves_baseline: bool) -> Any:
    """A sensor-paced forecaster as far as the repair reads it."""
    return SimpleNamespace(
        serves_baseline=serves_baseline,
        baseline_name="persistence",
        backtest=SimpleNamespace(skill=-0.1 if serves_baseline else 0.4),
    )


async def test_simple_rule_repair_follows_the_served_forecaster(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """For other sensors than energy the watch model is shown, so the repair reads it."""
    entry = init_integration
    models = entry.runtime_data.training.data
    weak_hourly = replace(models.forecaster, serves_baseline=True)
    sensor = replace(models, forecaster=weak_hourly, energy_like=False)

    repairs.async_update_training_issues(
        hass, entry, replace(sensor, watch=_watch(serves_baseline=False))
    )
    assert _issue(hass, repairs.SERVING_BASELINE, entry.entry_id) is None

    repairs.async_update_training_issues(
        hass, entry, replace(sensor, watch=_watch(serves_baseline=True))
    )
    issue = _issue(hass, repairs.SERVING_BASELINE, entry.entry_id)
    assert issue is not None
    assert issue.translation_placeholders["baseline"] == "persistence"
    assert issue.translation_placeholders["skill"] == "-10"


async def test_removing_the_entry_removes_its_repairs(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    entry = init_integration
    models = entry.runtime_data.training.data
    weak = replace(models, forecaster=replace(models.forecaster, serves_baseline=True))
    repairs.async_update_training_issues(hass, entry, weak)
    hass.states.async_remove(OUTDOOR)
    await entry.runtime_data.predictions.async_refresh()
    assert _issue(hass, repairs.SERVING_BASELINE, entry.entry_id) is not None
    assert _issue(hass, repairs.MISSING_ENTITY, entry.entry_id, OUTDOOR) is not None

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    assert _issue(hass, repairs.SERVING_BASELINE, entry.entry_id) is None
    assert _issue(hass, repairs.MISSING_ENTITY, entry.entry_id, OUTDOOR) is None


async def test_unloading_removes_repairs_and_set_up_raises_the_valid_ones(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    entry = init_integration
    hass.states.async_remove(OUTDOOR)
    await entry.runtime_data.predictions.async_refresh()
    assert _issue(hass, repairs.MISSING_ENTITY, entry.entry_id, OUTDOOR) is not None

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert _issue(hass, repairs.MISSING_ENTITY, entry.entry_id, OUTDOOR) is None

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert _issue(hass, repairs.MISSING_ENTITY, entry.entry_id, OUTDOOR) is not None


@pytest.mark.parametrize(
    ("kind", "suffix", "data"),
    [
        (repairs.MISSING_ENTITY, OUTDOOR, {"entity_id": OUTDOOR}),
        (repairs.SUSTAINED, "", {"since": "2026-03-01T18:00:00+00:00"}),
    ],
)
async def test_fix_flow_of_a_removed_entry_aborts(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    kind: str,
    suffix: str,
    data: dict[str, str],
) -> None:
    """A repair still shown after its entry was removed says so instead of failing."""
    issue_id = f"{kind}_{GONE_ENTRY}" + (f"_{suffix}" if suffix else "")
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=True,
        severity=ir.IssueSeverity.ERROR,
        translation_key=kind,
        data={"entry_id": GONE_ENTRY, **data},
    )
    assert await async_setup_component(hass, DOMAIN, {})
    assert await async_setup_component(hass, "repairs", {})
    http = await hass_client()

    response = await http.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )

    assert response.status == HTTPStatus.OK
    result = await response.json()
    assert result["type"] == "abort"
    assert result["reason"] == "entry_removed"
