"""Config flow for Foresight: one entry per entity to predict, everything set in the UI."""

from datetime import timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigFlow, ConfigFlowResult
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.selector import EntitySelector, EntitySelectorConfig
from homeassistant.helpers.typing import UNDEFINED
from homeassistant.util import dt as dt_util
import probatio
from sqlalchemy.exc import SQLAlchemyError

from .const import (
    CONF_CALENDAR_ENTITY,
    CONF_FEATURE_ENTITIES,
    CONF_TARGET_ENTITY,
    CONF_WEATHER_ENTITY,
    DEFAULT_TRAINING_DAYS,
    DOMAIN,
)
from .history import HistoryReadTimeoutError, HistoryRequest, async_read_history, entity_spec
from .ml.forecast import MIN_HISTORY_HOURS
from .options_flow import ForesightOptionsFlow

ENTITIES_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_TARGET_ENTITY): EntitySelector(
            EntitySelectorConfig(domain="sensor")
        ),
        probatio.Optional(CONF_FEATURE_ENTITIES): EntitySelector(
            EntitySelectorConfig(domain="sensor", multiple=True)
        ),
        probatio.Optional(CONF_WEATHER_ENTITY): EntitySelector(
            EntitySelectorConfig(domain="weather")
        ),
        probatio.Optional(CONF_CALENDAR_ENTITY): EntitySelector(
            EntitySelectorConfig(domain="calendar")
        ),
    }
)


def _entity_exists(hass: HomeAssistant, entity_id: str) -> bool:
    return (
        hass.states.get(entity_id) is not None
        or er.async_get(hass).async_get(entity_id) is not None
    )


async def _async_validate_entities(
    hass: HomeAssistant, user_input: dict[str, Any]
) -> tuple[dict[str, str], dict[str, str]]:
    """Errors of the entities form, and placeholders for their messages."""
    target = user_input[CONF_TARGET_ENTITY]
    if not _entity_exists(hass, target):
        return {CONF_TARGET_ENTITY: "entity_not_found"}, {}
    if target in user_input.get(CONF_FEATURE_ENTITIES, []):
        return {CONF_FEATURE_ENTITIES: "feature_is_target"}, {}
    # Test before configure: there must be enough usable history to learn from.
    end = dt_util.utcnow().replace(minute=0, second=0, microsecond=0)
    try:
        history = await async_read_history(
            hass,
            HistoryRequest(
                target=entity_spec(hass, target),
                start=end - timedelta(days=DEFAULT_TRAINING_DAYS),
                end=end,
            ),
        )
    except (HistoryReadTimeoutError, SQLAlchemyError) as err:
        # A locked or busy database: the user can submit again once it answers.
        return {"base": "cannot_read_history"}, {"error": str(err)}
    usable = history.quality.hours_usable
    if usable < MIN_HISTORY_HOURS:
        return {"base": "not_enough_history"}, {
            "hours_available": str(usable),
            "hours_needed": str(MIN_HISTORY_HOURS),
        }
    return {}, {}


def _title(hass: HomeAssistant, target: str) -> str:
    """An entry is named after the sensor it predicts."""
    state = hass.states.get(target)
    return state.name if state is not None else target


def _clean(user_input: dict[str, Any]) -> dict[str, Any]:
    """Entry data without empty optional fields."""
    return {key: value for key, value in user_input.items() if value not in (None, "", [])}


class ForesightConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a forecast for one sensor."""

    VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> ForesightOptionsFlow:
        """Options are edited in their own flow; saving reloads the entry."""
        return ForesightOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask which sensor to predict, and from what."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            await self.async_set_unique_id(user_input[CONF_TARGET_ENTITY])
            self._abort_if_unique_id_configured()
            errors, placeholders = await _async_validate_entities(self.hass, user_input)
            if not errors:
                return self.async_create_entry(
                    title=_title(self.hass, user_input[CONF_TARGET_ENTITY]),
                    data=_clean(user_input),
                )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(ENTITIES_SCHEMA, user_input),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the predicted sensor or its features."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            await self.async_set_unique_id(user_input[CONF_TARGET_ENTITY])
            if user_input[CONF_TARGET_ENTITY] != entry.unique_id:
                self._abort_if_unique_id_configured()
            errors, placeholders = await _async_validate_entities(self.hass, user_input)
            if not errors:
                target = user_input[CONF_TARGET_ENTITY]
                return self.async_update_reload_and_abort(
                    entry,
                    unique_id=target,
                    # A title the user gave the entry stays as long as the sensor does.
                    title=_title(self.hass, target) if target != entry.unique_id else UNDEFINED,
                    data=_clean(user_input),
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                ENTITIES_SCHEMA, user_input or dict(entry.data)
            ),
            errors=errors,
            description_placeholders=placeholders,
        )
