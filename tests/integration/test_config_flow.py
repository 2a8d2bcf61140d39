"""The config flow."""

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.foresight.const import CONF_TARGET_ENTITY, DOMAIN

from .conftest import TARGET


async def test_user_flow_creates_entry(hass: HomeAssistant) -> None:
    hass.states.async_set(TARGET, "12.5", {"friendly_name": "House energy"})
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TARGET_ENTITY: TARGET}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "House energy"
    assert result["data"] == {CONF_TARGET_ENTITY: TARGET}
    assert result["result"].unique_id == TARGET


async def test_user_flow_unknown_entity(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TARGET_ENTITY: "sensor.nowhere"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_TARGET_ENTITY: "entity_not_found"}


async def test_user_flow_already_configured(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    hass.states.async_set(TARGET, "12.5")
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TARGET_ENTITY: TARGET}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
