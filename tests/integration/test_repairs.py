"""Each repair is raised while its cause holds, cleared when it is gone, and fixable in the UI."""

from dataclasses import replace
from datetime import timedelta
from http import HTTPStatus
import logging
from typing import Any
from unittest.mock import patch

from homeassistant.const import EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.foresight import repairs, training
from custom_components.foresight.const import (
    CONF_CALENDAR_ENTITY,
    CONF_ENGINE,
    CONF_FEATURE_ENTITIES,
    CONF_TARGET_ENTITY,
    CONF_WEATHER_ENTITY,
    DOMAIN,
)
from custom_components.foresight.prediction import AnomalyView, Snapshot

from .conftest import NOW
from .home import OUTDOOR, OUTDOOR_ATTRIBUTES, TARGET, seed_home, setup_entry_with_sources

INDOOR = "sensor.indoor_temperature"


def _issue(hass: HomeAssistant, kind: str, entry: MockConfigEntry, suffix: str = "") -> Any:
    issue_id = f"{kind}_{entry.entry_id}" + (f"_{suffix}" if suffix else "")
    return ir.async_get(hass).async_get_issue(DOMAIN, issue_id)


async def _fix(
    hass: HomeAssistant, client: ClientSessionGenerator, issue: Any, answer: dict[str, Any]
) -> dict[str, Any]:
    assert await async_setup_component(hass, "repairs", {})
    http = await client()
    response = await http.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue.issue_id}
    )
    assert response.status == HTTPStatus.OK
    flow = await response.json()
    response = await http.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json=answer)
    assert response.status == HTTPStatus.OK
    return dict(await response.json())


async def test_not_enough_history_is_raised_then_cleared(
    hass: HomeAssistant, freezer: Any, mock_config_entry: MockConfigEntry
) -> None:
    freezer.move_to(NOW)
    await seed_home(hass, NOW.replace(minute=0), days=5)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    issue = _issue(hass, repairs.NOT_ENOUGH_HISTORY, mock_config_entry)
    assert issue is not None
    assert issue.translation_placeholders["hours_available"] == "120"
    assert issue.translation_placeholders["hours_needed"] == "336"
    # 216 more hours are needed: nine days from now, in the home's time zone.
    assert issue.translation_placeholders["ready_date"] == "2026-03-10"
    assert hass.states.get("sensor.house_energy_forecast_next_hour").state == "unknown"

    await seed_home(hass, NOW.replace(minute=0) - timedelta(days=5), days=30, seed=4)
    await hass.services.async_call(
        DOMAIN, "retrain", {"config_entry_id": mock_config_entry.entry_id}, blocking=True
    )
    assert _issue(hass, repairs.NOT_ENOUGH_HISTORY, mock_config_entry) is None


async def test_serving_baseline_is_raised_and_cleared(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    real = training.train_forecaster

    def weak(*args: Any, **kwargs: Any) -> Any:
        return replace(real(*args, **kwargs), serves_baseline=True, model=None)

    with patch.object(training, "train_forecaster", side_effect=weak):
        await hass.services.async_call(
            DOMAIN, "retrain", {"config_entry_id": init_integration.entry_id}, blocking=True
        )
    issue = _issue(hass, repairs.SERVING_BASELINE, init_integration)
    assert issue is not None
    assert issue.translation_placeholders["baseline"] == "same_hour_mean_7d"
    # Entities update in a refresh started when the training finished.
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("sensor.house_energy_model_in_use").state == "baseline"

    # Issues do not survive a restart; the restored model raises it again.
    ir.async_delete_issue(hass, DOMAIN, issue.issue_id)
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert _issue(hass, repairs.SERVING_BASELINE, init_integration) is not None

    await hass.services.async_call(
        DOMAIN, "retrain", {"config_entry_id": init_integration.entry_id}, blocking=True
    )
    assert _issue(hass, repairs.SERVING_BASELINE, init_integration) is None


async def test_sklearn_unavailable_is_informational(
    hass: HomeAssistant, home: None, mock_config_entry: MockConfigEntry
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=TARGET,
        data=dict(mock_config_entry.data),
        options={CONF_ENGINE: "sklearn"},
    )
    entry.add_to_hass(hass)
    with patch.object(training, "sklearn_available", return_value=False):
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    assert _issue(hass, repairs.SKLEARN_UNAVAILABLE, entry) is not None
    assert entry.runtime_data.training.data.forecaster.engine == "numpy"

    await hass.services.async_call(
        DOMAIN, "retrain", {"config_entry_id": entry.entry_id}, blocking=True
    )
    # The notice follows what this environment has: gone where scikit-learn imports.
    still_raised = _issue(hass, repairs.SKLEARN_UNAVAILABLE, entry) is not None
    assert still_raised is not training.sklearn_available()


async def test_removed_feature_entity_is_replaced_from_the_repair(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    entity_registry: er.EntityRegistry,
) -> None:
    hass.states.async_remove(OUTDOOR)
    await init_integration.runtime_data.predictions.async_refresh()
    issue = _issue(hass, repairs.MISSING_ENTITY, init_integration, OUTDOOR)
    assert issue is not None
    assert issue.is_fixable
    # Predictions go on without the feature (its values are unknown).
    assert hass.states.get("sensor.house_energy_forecast_next_hour").state != "unavailable"

    hass.states.async_set("sensor.garden_temperature", "4.0", OUTDOOR_ATTRIBUTES)
    result = await _fix(hass, hass_client, issue, {"replacement": "sensor.garden_temperature"})
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    assert init_integration.data[CONF_FEATURE_ENTITIES] == ["sensor.garden_temperature"]
    assert _issue(hass, repairs.MISSING_ENTITY, init_integration, OUTDOOR) is None


async def test_removed_target_is_replaced_from_the_repair(
    hass: HomeAssistant, init_integration: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
    hass.states.async_remove(TARGET)
    await init_integration.runtime_data.predictions.async_refresh()
    issue = _issue(hass, repairs.MISSING_ENTITY, init_integration, TARGET)
    assert issue is not None
    result = await _fix(hass, hass_client, issue, {"replacement": "sensor.new_meter"})
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    assert init_integration.data[CONF_TARGET_ENTITY] == "sensor.new_meter"
    assert init_integration.unique_id == "sensor.new_meter"


async def test_missing_entity_is_judged_once_home_assistant_has_started(
    hass: HomeAssistant, home: None
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=TARGET,
        data={CONF_TARGET_ENTITY: TARGET, CONF_FEATURE_ENTITIES: [OUTDOOR, "sensor.gone"]},
        options={CONF_ENGINE: "numpy"},
    )
    entry.add_to_hass(hass)
    hass.set_state(CoreState.starting)
    # A template sensor (no unique id) has no state until its platform loads.
    hass.states.async_remove(OUTDOOR)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert _issue(hass, repairs.MISSING_ENTITY, entry, OUTDOOR) is None
    assert _issue(hass, repairs.MISSING_ENTITY, entry, "sensor.gone") is None

    hass.states.async_set(OUTDOOR, "4.0", OUTDOOR_ATTRIBUTES)
    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done()
    assert _issue(hass, repairs.MISSING_ENTITY, entry, OUTDOOR) is None
    assert _issue(hass, repairs.MISSING_ENTITY, entry, "sensor.gone") is not None


async def test_gone_calendar_and_weather_get_a_repair_not_a_warning_at_every_training(
    hass: HomeAssistant,
    home: None,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert await async_setup_component(hass, "calendar", {})
    assert await async_setup_component(hass, "weather", {})
    entry = await setup_entry_with_sources(hass, weather="weather.gone", calendar="calendar.gone")
    await hass.services.async_call(
        DOMAIN, "retrain", {"config_entry_id": entry.entry_id}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert [message for message in warnings if ".gone" in message] == []
    assert _issue(hass, repairs.MISSING_ENTITY, entry, "weather.gone") is not None
    issue = _issue(hass, repairs.MISSING_ENTITY, entry, "calendar.gone")
    assert issue is not None

    result = await _fix(hass, hass_client, issue, {"replacement": "calendar.holidays"})
    assert result["type"] == "create_entry"
    assert entry.data[CONF_CALENDAR_ENTITY] == "calendar.holidays"
    assert entry.data[CONF_WEATHER_ENTITY] == "weather.gone"


@pytest.mark.parametrize(
    ("missing", "replacement", "error"),
    [
        (OUTDOOR, TARGET, "feature_is_target"),
        (TARGET, OUTDOOR, "feature_is_target"),
        (OUTDOOR, INDOOR, "already_a_feature"),
        # The sensor another entry predicts.
        (TARGET, "sensor.heat_pump_energy", "already_configured"),
    ],
)
async def test_replacement_the_config_flow_would_refuse_is_refused(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    missing: str,
    replacement: str,
    error: str,
) -> None:
    MockConfigEntry(
        domain=DOMAIN,
        unique_id="sensor.heat_pump_energy",
        data={CONF_TARGET_ENTITY: "sensor.heat_pump_energy"},
    ).add_to_hass(hass)
    data = {**init_integration.data, CONF_FEATURE_ENTITIES: [OUTDOOR, INDOOR]}
    hass.config_entries.async_update_entry(init_integration, data=data)
    hass.states.async_remove(missing)
    await init_integration.runtime_data.predictions.async_refresh()
    issue = _issue(hass, repairs.MISSING_ENTITY, init_integration, missing)

    result = await _fix(hass, hass_client, issue, {"replacement": replacement})
    assert result["type"] == "form"
    assert result["errors"] == {"replacement": error}
    assert init_integration.data == data
    assert init_integration.unique_id == TARGET
    assert _issue(hass, repairs.MISSING_ENTITY, init_integration, missing) is not None


def _anomalous(since_hours: float) -> Snapshot:
    return Snapshot(
        issued_at=NOW,
        anomaly=AnomalyView(
            score=0.9,
            is_anomaly=True,
            since=NOW - timedelta(hours=since_hours),
            kind="level_shift",
            text="Base load +0.45 kWh since 16:00.",
            expected=0.3,
            actual=0.75,
        ),
    )


def _sustained_issue(hass: HomeAssistant, entry: MockConfigEntry) -> tuple[Snapshot, Any]:
    """An anomaly of eight hours shown and judged: the lasting-anomaly issue it raises."""
    snapshot = _anomalous(8)
    entry.runtime_data.predictions.async_set_updated_data(snapshot)
    repairs.async_update_anomaly_issue(hass, entry, snapshot)
    return snapshot, _issue(hass, repairs.SUSTAINED, entry)


async def test_sustained_anomaly_marked_normal(
    hass: HomeAssistant, init_integration: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
    repairs.async_update_anomaly_issue(hass, init_integration, _anomalous(2))
    assert _issue(hass, repairs.SUSTAINED, init_integration) is None
    _, issue = _sustained_issue(hass, init_integration)
    assert issue is not None
    assert issue.translation_placeholders["explanation"] == "Base load +0.45 kWh since 16:00."

    detector = init_integration.runtime_data.training.data.detector
    with patch.object(type(detector), "mark_normal", autospec=True) as mark_normal:
        result = await _fix(hass, hass_client, issue, {"next_step_id": "mark_normal"})
    assert result["type"] == "create_entry"
    assert mark_normal.call_args.args[1] == NOW - timedelta(hours=8)
    assert _issue(hass, repairs.SUSTAINED, init_integration) is None


async def test_sustained_anomaly_keep_watching_is_not_asked_again(
    hass: HomeAssistant, init_integration: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
    snapshot, issue = _sustained_issue(hass, init_integration)
    result = await _fix(hass, hass_client, issue, {"next_step_id": "keep_watching"})
    assert result["type"] == "create_entry"
    repairs.async_update_anomaly_issue(hass, init_integration, snapshot)
    assert _issue(hass, repairs.SUSTAINED, init_integration) is None
    # It is cleared, too, once the anomaly ends.
    repairs.async_update_anomaly_issue(hass, init_integration, Snapshot(issued_at=NOW))
    assert _issue(hass, repairs.SUSTAINED, init_integration) is None


async def test_keep_watching_is_remembered_across_a_reload(
    hass: HomeAssistant, init_integration: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
    snapshot, issue = _sustained_issue(hass, init_integration)
    await _fix(hass, hass_client, issue, {"next_step_id": "keep_watching"})
    # A training saves new models; the user's answer is not theirs to drop.
    await hass.services.async_call(
        DOMAIN, "retrain", {"config_entry_id": init_integration.entry_id}, blocking=True
    )
    # A reload (new options, say) reads the entry's saved state back, as a restart does.
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()

    repairs.async_update_anomaly_issue(hass, init_integration, snapshot)
    assert _issue(hass, repairs.SUSTAINED, init_integration) is None
    # Another anomaly is asked about.
    repairs.async_update_anomaly_issue(hass, init_integration, _anomalous(9))
    assert _issue(hass, repairs.SUSTAINED, init_integration) is not None
