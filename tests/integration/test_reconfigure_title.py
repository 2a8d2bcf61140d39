"""Reconfiguring another sensor renames the entry, its device and its entities."""

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.foresight.const import CONF_FEATURE_ENTITIES, CONF_TARGET_ENTITY

from .home import OUTDOOR, TARGET


async def _reconfigure(
    hass: HomeAssistant, entry: MockConfigEntry, user_input: dict[str, object]
) -> None:
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()


async def test_new_target_renames_entry_device_and_entities(
    hass: HomeAssistant, init_integration: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    await _reconfigure(hass, init_integration, {CONF_TARGET_ENTITY: OUTDOOR})

    assert init_integration.title == "Outdoor temperature"
    devices = dr.async_entries_for_config_entry(device_registry, init_integration.entry_id)
    assert [device.name for device in devices] == ["Outdoor temperature"]
    # Entity ids stay (automations use them); the names follow the device.
    state = hass.states.get("sensor.house_energy_forecast_next_hour")
    assert state is not None
    assert state.name == "Outdoor temperature Forecast next hour"


async def test_same_target_keeps_the_users_title(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    hass.config_entries.async_update_entry(init_integration, title="Whole house")

    await _reconfigure(
        hass, init_integration, {CONF_TARGET_ENTITY: TARGET, CONF_FEATURE_ENTITIES: [OUTDOOR]}
    )

    assert init_integration.title == "Whole house"
