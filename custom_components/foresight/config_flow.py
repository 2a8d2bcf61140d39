"""Config flow for Foresight: one entry per entity to predict, everything set in the UI."""

from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.selector import (
    DateTimeSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    TimeSelector,
)
from homeassistant.util import dt as dt_util
import probatio

from .const import (
    CONF_CALENDAR_ENTITY,
    CONF_ENGINE,
    CONF_EXCLUDED_PERIODS,
    CONF_FEATURE_ENTITIES,
    CONF_HORIZON_HOURS,
    CONF_RETRAIN_TIME,
    CONF_SENSITIVITY,
    CONF_TARGET_ENTITY,
    CONF_TRAINING_DAYS,
    CONF_WEATHER_ENTITY,
    DEFAULT_TRAINING_DAYS,
    DOMAIN,
    ENGINES,
    MAX_HORIZON_HOURS,
    MAX_TRAINING_DAYS,
    MIN_TRAINING_DAYS,
    SENSITIVITIES,
)
from .history import HistoryRequest, async_read_history, entity_spec
from .ml.forecast import MIN_HISTORY_HOURS
from .options import EntrySettings, Period

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

SETTINGS_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_TRAINING_DAYS): NumberSelector(
            NumberSelectorConfig(
                min=MIN_TRAINING_DAYS,
                max=MAX_TRAINING_DAYS,
                step=1,
                mode=NumberSelectorMode.BOX,
                unit_of_measurement="d",
            )
        ),
        probatio.Required(CONF_RETRAIN_TIME): TimeSelector(),
        probatio.Required(CONF_SENSITIVITY): SelectSelector(
            SelectSelectorConfig(options=list(SENSITIVITIES), translation_key=CONF_SENSITIVITY)
        ),
        probatio.Required(CONF_ENGINE): SelectSelector(
            SelectSelectorConfig(options=list(ENGINES), translation_key=CONF_ENGINE)
        ),
        probatio.Required(CONF_HORIZON_HOURS): NumberSelector(
            NumberSelectorConfig(
                min=1,
                max=MAX_HORIZON_HOURS,
                step=1,
                mode=NumberSelectorMode.BOX,
                unit_of_measurement="h",
            )
        ),
    }
)

PERIOD_SCHEMA = probatio.Schema(
    {
        probatio.Required("start"): DateTimeSelector(),
        probatio.Required("end"): DateTimeSelector(),
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
    history = await async_read_history(
        hass,
        HistoryRequest(
            target=entity_spec(hass, target),
            start=end - timedelta(days=DEFAULT_TRAINING_DAYS),
            end=end,
        ),
    )
    usable = history.quality.hours_usable
    if usable < MIN_HISTORY_HOURS:
        return {"base": "not_enough_history"}, {
            "hours_available": str(usable),
            "hours_needed": str(MIN_HISTORY_HOURS),
        }
    return {}, {}


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
                state = self.hass.states.get(user_input[CONF_TARGET_ENTITY])
                title = state.name if state is not None else user_input[CONF_TARGET_ENTITY]
                return self.async_create_entry(title=title, data=_clean(user_input))
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
                return self.async_update_reload_and_abort(
                    entry, unique_id=user_input[CONF_TARGET_ENTITY], data=_clean(user_input)
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                ENTITIES_SCHEMA, user_input or dict(entry.data)
            ),
            errors=errors,
            description_placeholders=placeholders,
        )


class ForesightOptionsFlow(OptionsFlowWithReload):
    """How Foresight learns, and which periods it must not learn from."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose what to change."""
        return self.async_show_menu(
            step_id="init", menu_options=["settings", "add_period", "clear_periods"]
        )

    async def async_step_settings(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Training window, retrain time, sensitivity, engine and horizon."""
        if user_input is not None:
            options = {
                **self.config_entry.options,
                **user_input,
                CONF_TRAINING_DAYS: int(user_input[CONF_TRAINING_DAYS]),
                CONF_HORIZON_HOURS: int(user_input[CONF_HORIZON_HOURS]),
            }
            return self.async_create_entry(data=options)
        current = EntrySettings.from_entry(self.config_entry)
        suggested = {
            CONF_TRAINING_DAYS: current.training_days,
            CONF_RETRAIN_TIME: current.retrain_time.isoformat(),
            CONF_SENSITIVITY: current.sensitivity,
            CONF_ENGINE: current.engine,
            CONF_HORIZON_HOURS: current.horizon_hours,
        }
        return self.async_show_form(
            step_id="settings",
            data_schema=self.add_suggested_values_to_schema(SETTINGS_SCHEMA, suggested),
        )

    async def async_step_add_period(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add a period not to learn from (a holiday, a party, a broken meter)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            start = dt_util.parse_datetime(user_input["start"])
            end = dt_util.parse_datetime(user_input["end"])
            if start is None or end is None or end <= start:
                errors["base"] = "invalid_period"
            else:
                period = Period(_as_utc(start), _as_utc(end))
                periods = [*EntrySettings.from_entry(self.config_entry).excluded_periods, period]
                return self.async_create_entry(
                    data={
                        **self.config_entry.options,
                        CONF_EXCLUDED_PERIODS: [p.as_dict() for p in periods],
                    }
                )
        return self.async_show_form(
            step_id="add_period",
            data_schema=self.add_suggested_values_to_schema(PERIOD_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_clear_periods(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Forget every excluded period."""
        if user_input is not None:
            return self.async_create_entry(
                data={**self.config_entry.options, CONF_EXCLUDED_PERIODS: []}
            )
        count = len(EntrySettings.from_entry(self.config_entry).excluded_periods)
        return self.async_show_form(
            step_id="clear_periods",
            data_schema=probatio.Schema({}),
            description_placeholders={"count": str(count)},
        )


def _as_utc(moment: datetime) -> datetime:
    """A date and time from the UI is local unless it says otherwise."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt_util.get_default_time_zone())
    return dt_util.as_utc(moment)
