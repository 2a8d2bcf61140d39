"""The config, reconfigure and options flows: every step and every error."""

from datetime import timedelta
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from sqlalchemy.exc import OperationalError

from custom_components.foresight import config_flow
from custom_components.foresight.const import (
    CONF_ENGINE,
    CONF_EXCLUDED_PERIODS,
    CONF_FEATURE_ENTITIES,
    CONF_HORIZON_HOURS,
    CONF_RETRAIN_TIME,
    CONF_SENSITIVITY,
    CONF_TARGET_ENTITY,
    CONF_TRAINING_DAYS,
    DOMAIN,
)
from custom_components.foresight.history import HistoryReadTimeoutError

from .conftest import NOW
from .home import METER_ATTRIBUTES, OUTDOOR, TARGET, seed_home


async def _start(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return str(result["flow_id"])


async def test_user_flow_creates_entry(hass: HomeAssistant, home: None) -> None:
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_TARGET_ENTITY: TARGET, CONF_FEATURE_ENTITIES: [OUTDOOR]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "House energy"
    assert result["data"] == {CONF_TARGET_ENTITY: TARGET, CONF_FEATURE_ENTITIES: [OUTDOOR]}
    assert result["result"].unique_id == TARGET


async def test_user_flow_refuses_too_little_history(hass: HomeAssistant, freezer: object) -> None:
    freezer.move_to(NOW)  # type: ignore[attr-defined]
    await seed_home(hass, NOW.replace(minute=0), days=5)
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_TARGET_ENTITY: TARGET})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "not_enough_history"}
    assert result["description_placeholders"] == {"hours_available": "120", "hours_needed": "336"}


@pytest.mark.parametrize(
    "failure",
    [HistoryReadTimeoutError(), OperationalError("SELECT", {}, Exception("database is locked"))],
)
async def test_user_flow_recorder_failure_is_a_form_error(
    hass: HomeAssistant, home: None, failure: Exception
) -> None:
    flow_id = await _start(hass)
    with patch.object(config_flow, "async_read_history", side_effect=failure):
        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_TARGET_ENTITY: TARGET}
        )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_read_history"}
    assert result["description_placeholders"] == {"error": str(failure)}

    # Once the recorder answers, the same form goes through.
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_TARGET_ENTITY: TARGET})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_unknown_entity(hass: HomeAssistant) -> None:
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_TARGET_ENTITY: "sensor.nowhere"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_TARGET_ENTITY: "entity_not_found"}


async def test_user_flow_target_cannot_be_its_own_feature(hass: HomeAssistant) -> None:
    hass.states.async_set(TARGET, "1", METER_ATTRIBUTES)
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_TARGET_ENTITY: TARGET, CONF_FEATURE_ENTITIES: [TARGET]}
    )
    assert result["errors"] == {CONF_FEATURE_ENTITIES: "feature_is_target"}


async def test_user_flow_already_configured(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_TARGET_ENTITY: TARGET})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reconfigure_changes_features_and_reloads(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    result = await init_integration.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TARGET_ENTITY: TARGET}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert init_integration.data == {CONF_TARGET_ENTITY: TARGET}
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED
    assert init_integration.runtime_data.settings.features == ()


async def test_reconfigure_errors_and_conflicts(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    other = MockConfigEntry(
        domain=DOMAIN, unique_id="sensor.other", data={CONF_TARGET_ENTITY: "sensor.other"}
    )
    other.add_to_hass(hass)
    result = await init_integration.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TARGET_ENTITY: "sensor.missing"}
    )
    assert result["errors"] == {CONF_TARGET_ENTITY: "entity_not_found"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TARGET_ENTITY: "sensor.other"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_options_settings(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "settings"}
    )
    assert result["step_id"] == "settings"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_TRAINING_DAYS: 90.0,
            CONF_RETRAIN_TIME: "04:30:00",
            CONF_SENSITIVITY: "high",
            CONF_ENGINE: "numpy",
            CONF_HORIZON_HOURS: 24.0,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options == {
        CONF_TRAINING_DAYS: 90,
        CONF_RETRAIN_TIME: "04:30:00",
        CONF_SENSITIVITY: "high",
        CONF_ENGINE: "numpy",
        CONF_HORIZON_HOURS: 24,
    }
    await hass.async_block_till_done()
    # Saving reloads the entry: the new horizon is in use.
    assert len(init_integration.runtime_data.predictions.data.hours) == 24


async def test_options_add_and_clear_periods(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    async def step(step_id: str) -> dict[str, object]:
        result = await hass.config_entries.options.async_init(init_integration.entry_id)
        return dict(
            await hass.config_entries.options.async_configure(
                result["flow_id"], {"next_step_id": step_id}
            )
        )

    result = await step("add_period")
    result = dict(
        await hass.config_entries.options.async_configure(
            str(result["flow_id"]), {"start": "2026-02-10 08:00:00", "end": "2026-02-09 08:00:00"}
        )
    )
    assert result["errors"] == {"base": "invalid_period"}
    result = dict(
        await hass.config_entries.options.async_configure(
            str(result["flow_id"]), {"start": "2026-02-10 08:00:00", "end": "2026-02-12 20:00:00"}
        )
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # The test instance's time zone is US/Pacific (UTC-8 in February).
    assert init_integration.options[CONF_EXCLUDED_PERIODS] == [
        {"start": "2026-02-10T16:00:00+00:00", "end": "2026-02-13T04:00:00+00:00"}
    ]
    await hass.async_block_till_done()
    excluded = init_integration.runtime_data.training.data.quality.excluded_hours
    assert excluded == {"user_period": int(timedelta(hours=60) / timedelta(hours=1))}

    result = await step("clear_periods")
    assert result["description_placeholders"] == {"count": "1"}
    result = dict(await hass.config_entries.options.async_configure(str(result["flow_id"]), {}))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_EXCLUDED_PERIODS] == []
    await hass.async_block_till_done()


async def test_options_period_with_an_explicit_offset(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "add_period"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"start": "2026-02-10T08:00:00+01:00", "end": "2026-02-10T18:00:00+01:00"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_EXCLUDED_PERIODS] == [
        {"start": "2026-02-10T07:00:00+00:00", "end": "2026-02-10T17:00:00+00:00"}
    ]
    await hass.async_block_till_done()
