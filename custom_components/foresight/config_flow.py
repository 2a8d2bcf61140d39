"""Config flow for Foresight: one entry per entity to predict."""

from typing import Any

from homeassistant.components.sensor import DOMAIN as SENSOR_DOMAIN
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.selector import EntitySelector, EntitySelectorConfig
import probatio

from .const import CONF_TARGET_ENTITY, DOMAIN

USER_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_TARGET_ENTITY): EntitySelector(
            EntitySelectorConfig(domain=SENSOR_DOMAIN)
        ),
    }
)


class ForesightConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a forecast for one sensor."""

    VERSION = 1

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask which sensor to predict."""
        errors: dict[str, str] = {}
        if user_input is not None:
            target = user_input[CONF_TARGET_ENTITY]
            await self.async_set_unique_id(target)
            self._abort_if_unique_id_configured()
            if (state := self.hass.states.get(target)) is None and not er.async_get(
                self.hass
            ).async_get(target):
                errors[CONF_TARGET_ENTITY] = "entity_not_found"
            else:
                title = state.name if state is not None else target
                return self.async_create_entry(title=title, data=user_input)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(USER_SCHEMA, user_input),
            errors=errors,
        )
