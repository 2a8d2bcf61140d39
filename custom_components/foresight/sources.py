"""Other entities Foresight reads through their public actions: calendars and weather."""

from datetime import datetime
import logging
from typing import Any

from homeassistant.const import ATTR_DEVICE_CLASS, ATTR_UNIT_OF_MEASUREMENT, UnitOfTemperature
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import TemperatureConverter

from .history import ExcludedPeriod
from .ml.cleaning import Flag

_LOGGER = logging.getLogger(__name__)


async def async_calendar_periods(
    hass: HomeAssistant, calendar_entity: str, start: datetime, end: datetime
) -> tuple[ExcludedPeriod, ...]:
    """Every event of the calendar in the window, as a period not to learn from."""
    if hass.states.get(calendar_entity) is None:
        # Gone, or not loaded yet: a repair says so once, not a warning at every training.
        _LOGGER.debug("%s has no state: no events to exclude", calendar_entity)
        return ()
    try:
        response = await hass.services.async_call(
            "calendar",
            "get_events",
            {"entity_id": calendar_entity, "start_date_time": start, "end_date_time": end},
            blocking=True,
            return_response=True,
        )
    except HomeAssistantError as err:
        _LOGGER.warning("Cannot read events of %s: %s", calendar_entity, err)
        return ()
    periods = []
    events = _list(_dict(_dict(response).get(calendar_entity)).get("events"))
    for event in map(_dict, events):
        event_start, event_end = _moment(event.get("start")), _moment(event.get("end"))
        if event_start is not None and event_end is not None and event_end > event_start:
            periods.append(ExcludedPeriod(event_start, event_end, Flag.CALENDAR))
    return tuple(periods)


def _dict(value: object) -> dict[str, Any]:
    """Action responses are JSON of any shape: read them defensively."""
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _moment(value: Any) -> datetime | None:
    """An event boundary: a datetime, or a date meaning local midnight."""
    if not isinstance(value, str):
        return None
    if (moment := dt_util.parse_datetime(value)) is not None:
        return dt_util.as_utc(moment)
    if (day := dt_util.parse_date(value)) is not None:
        return dt_util.as_utc(dt_util.start_of_local_day(day))
    return None


def temperature_feature(hass: HomeAssistant, features: tuple[str, ...]) -> str | None:
    """The first feature sensor that measures temperature (a weather forecast extends it)."""
    for entity_id in features:
        state = hass.states.get(entity_id)
        if state is not None and state.attributes.get(ATTR_DEVICE_CLASS) == "temperature":
            return entity_id
    return None


async def async_weather_temperatures(
    hass: HomeAssistant, weather_entity: str, feature_unit: str | None
) -> list[tuple[datetime, float]]:
    """The weather entity's hourly temperature forecast, in the feature sensor's unit."""
    state = hass.states.get(weather_entity)
    if state is None:
        # Asking anyway would log a warning at every prediction; a repair says it is gone.
        _LOGGER.debug("%s has no state: no forecast", weather_entity)
        return []
    try:
        response = await hass.services.async_call(
            "weather",
            "get_forecasts",
            {"entity_id": weather_entity, "type": "hourly"},
            blocking=True,
            return_response=True,
        )
    except HomeAssistantError as err:
        _LOGGER.debug("No hourly forecast from %s: %s", weather_entity, err)
        return []
    forecast = _list(_dict(_dict(response).get(weather_entity)).get("forecast"))
    weather_unit = state.attributes.get("temperature_unit")
    convert = _converter(weather_unit, feature_unit)
    rows = []
    for item in map(_dict, forecast):
        moment = dt_util.parse_datetime(str(item.get("datetime", "")))
        value = item.get("temperature")
        if moment is not None and isinstance(value, int | float):
            rows.append((dt_util.as_utc(moment), convert(float(value))))
    return rows


def _converter(source: str | None, target: str | None) -> Any:
    units = set(UnitOfTemperature)
    if source == target or source not in units or target not in units:
        return lambda value: value
    return TemperatureConverter.converter_factory(source, target)


def feature_unit(hass: HomeAssistant, entity_id: str) -> str | None:
    """Unit of a feature sensor's current state."""
    state = hass.states.get(entity_id)
    return state.attributes.get(ATTR_UNIT_OF_MEASUREMENT) if state else None
