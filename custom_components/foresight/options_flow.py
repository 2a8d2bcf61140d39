"""Options of a Foresight entry: how it learns, what it ignores, and the limit it watches."""

from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
from homeassistant.helpers.selector import (
    DateTimeSelector,
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
    CONF_ENGINE,
    CONF_EXCLUDED_PERIODS,
    CONF_HORIZON_HOURS,
    CONF_LIMIT,
    CONF_LIMIT_DIRECTION,
    CONF_RETRAIN_TIME,
    CONF_SENSITIVITY,
    CONF_TRAINING_DAYS,
    CONF_WARNING_HOURS,
    CONF_WARNING_PROBABILITY,
    DEFAULT_WARNING_HOURS,
    DEFAULT_WARNING_PROBABILITY,
    ENGINES,
    LIMIT_DIRECTIONS,
    MAX_HORIZON_HOURS,
    MAX_TRAINING_DAYS,
    MAX_WARNING_HOURS,
    MIN_TRAINING_DAYS,
    SENSITIVITIES,
)
from .options import EntrySettings, Period, Threshold

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


THRESHOLD_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_LIMIT): NumberSelector(
            NumberSelectorConfig(mode=NumberSelectorMode.BOX, step="any")
        ),
        probatio.Required(CONF_LIMIT_DIRECTION): SelectSelector(
            SelectSelectorConfig(
                options=list(LIMIT_DIRECTIONS), translation_key=CONF_LIMIT_DIRECTION
            )
        ),
        probatio.Required(CONF_WARNING_HOURS): NumberSelector(
            NumberSelectorConfig(
                min=1,
                max=MAX_WARNING_HOURS,
                step=1,
                mode=NumberSelectorMode.BOX,
                unit_of_measurement="h",
            )
        ),
        probatio.Required(CONF_WARNING_PROBABILITY): NumberSelector(
            NumberSelectorConfig(
                min=1, max=99, step=1, mode=NumberSelectorMode.SLIDER, unit_of_measurement="%"
            )
        ),
    }
)


class ForesightOptionsFlow(OptionsFlowWithReload):
    """How Foresight learns, and which periods it must not learn from."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose what to change."""
        menu = ["settings", "threshold", "add_period", "clear_periods"]
        if EntrySettings.from_entry(self.config_entry).threshold is not None:
            menu.insert(2, "remove_threshold")
        return self.async_show_menu(step_id="init", menu_options=menu)

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

    async def async_step_threshold(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Warn before the sensor crosses a limit (a freezer's -12 °C, a soil's 20 %)."""
        if user_input is not None:
            threshold = Threshold(
                limit=float(user_input[CONF_LIMIT]),
                direction=user_input[CONF_LIMIT_DIRECTION],
                warning_hours=int(user_input[CONF_WARNING_HOURS]),
                warning_probability=int(user_input[CONF_WARNING_PROBABILITY]),
            )
            return self.async_create_entry(
                data={**self.config_entry.options, **threshold.as_dict()}
            )
        current = EntrySettings.from_entry(self.config_entry).threshold
        suggested = (
            current.as_dict()
            if current is not None
            else {
                CONF_LIMIT_DIRECTION: LIMIT_DIRECTIONS[0],
                CONF_WARNING_HOURS: DEFAULT_WARNING_HOURS,
                CONF_WARNING_PROBABILITY: DEFAULT_WARNING_PROBABILITY,
            }
        )
        return self.async_show_form(
            step_id="threshold",
            data_schema=self.add_suggested_values_to_schema(THRESHOLD_SCHEMA, suggested),
        )

    async def async_step_remove_threshold(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Stop watching the limit (its entities go away)."""
        keys = (CONF_LIMIT, CONF_LIMIT_DIRECTION, CONF_WARNING_HOURS, CONF_WARNING_PROBABILITY)
        return self.async_create_entry(
            data={key: value for key, value in self.config_entry.options.items() if key not in keys}
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
