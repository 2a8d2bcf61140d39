"""Foresight's actions: forecasts and explanations as response data, retraining, feedback."""

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any, cast

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonValueType
import probatio

from .const import CONF_EXCLUDED_PERIODS, DOMAIN
from .coordinator import ForesightConfigEntry
from .options import EntrySettings, Period

ATTR_CONFIG_ENTRY_ID = "config_entry_id"
ATTR_HOURS = "hours"
ATTR_TIMESTAMP = "timestamp"
ATTR_START = "start"
ATTR_END = "end"
ATTR_KIND = "kind"
KIND_NORMAL = "normal"
KIND_ABNORMAL = "abnormal"

SERVICE_GET_FORECAST = "get_forecast"
SERVICE_EXPLAIN = "explain"
SERVICE_RETRAIN = "retrain"
SERVICE_MARK_PERIOD = "mark_period"

_ENTRY = {probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string}
GET_FORECAST_SCHEMA = probatio.Schema(
    {
        **_ENTRY,
        # Coerced: templates give 24.0 for an input_number's 24.
        probatio.Optional(ATTR_HOURS): probatio.All(
            probatio.Coerce(int), probatio.Range(min=1, max=168)
        ),
    }
)
EXPLAIN_SCHEMA = probatio.Schema({**_ENTRY, probatio.Optional(ATTR_TIMESTAMP): cv.datetime})
RETRAIN_SCHEMA = probatio.Schema(_ENTRY)
MARK_PERIOD_SCHEMA = probatio.Schema(
    {
        **_ENTRY,
        probatio.Required(ATTR_START): cv.datetime,
        probatio.Required(ATTR_END): cv.datetime,
        probatio.Required(ATTR_KIND): probatio.In([KIND_NORMAL, KIND_ABNORMAL]),
    }
)


def _loaded_entry(hass: HomeAssistant, call: ServiceCall) -> ForesightConfigEntry:
    entry_id = call.data[ATTR_CONFIG_ENTRY_ID]
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"entry": entry.title},
        )
    return entry


def _steps_or_raise(entry: ForesightConfigEntry) -> list[dict[str, Any]]:
    """The entry's forecast: hours for energy, the sensor's own pace for other sensors."""
    snapshot = entry.runtime_data.predictions.data
    watch = snapshot.watch
    hours = watch.steps if snapshot.watch_primary and watch is not None else snapshot.hours
    if not hours:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_forecast",
            translation_placeholders={"entry": entry.title},
        )
    return hours


def _step_minutes(entry: ForesightConfigEntry) -> int:
    snapshot = entry.runtime_data.predictions.data
    watch = snapshot.watch
    return watch.step_minutes if snapshot.watch_primary and watch is not None else 60


def _served(entry: ForesightConfigEntry) -> str | None:
    models = entry.runtime_data.training.data
    forecaster = models.serving if models is not None else None
    if forecaster is None:
        return None
    return f"baseline:{forecaster.baseline_name}" if forecaster.serves_baseline else "model"


def _extras(entry: ForesightConfigEntry) -> dict[str, Any]:
    """The limit's outlook and the energy insight, where the entry has them."""
    snapshot = entry.runtime_data.predictions.data
    extras: dict[str, Any] = {}
    if snapshot.watch is not None and snapshot.watch.crossing is not None:
        extras["limit"] = asdict(snapshot.watch.crossing)
    if snapshot.insight is not None:
        extras["insight"] = snapshot.insight
    return extras


async def _async_get_forecast(call: ServiceCall) -> ServiceResponse:
    entry = _loaded_entry(call.hass, call)
    steps = _steps_or_raise(entry)
    minutes = _step_minutes(entry)
    limit = call.data.get(ATTR_HOURS, len(steps)) * 60 // minutes
    snapshot = entry.runtime_data.predictions.data
    return {
        "entity_id": entry.runtime_data.settings.target,
        "issued_at": snapshot.issued_at.isoformat(),
        "served": _served(entry),
        "resolution_minutes": minutes,
        "forecast": cast("list[JsonValueType]", steps[:limit]),
        **_extras(entry),
    }


async def _async_explain(call: ServiceCall) -> ServiceResponse:
    entry = _loaded_entry(call.hass, call)
    hours = _steps_or_raise(entry)
    moment = call.data.get(ATTR_TIMESTAMP)
    minutes = _step_minutes(entry)
    wanted = hours[0]["timestamp"]
    if moment is not None:
        moment = dt_util.as_utc(moment)
        start = moment.replace(minute=moment.minute - moment.minute % minutes)
        wanted = start.replace(second=0, microsecond=0).isoformat()
    record = next((hour for hour in hours if hour["timestamp"] == wanted), None)
    if record is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="timestamp_outside_forecast",
            translation_placeholders={
                "first": hours[0]["timestamp"],
                "last": hours[-1]["timestamp"],
            },
        )
    anomaly = entry.runtime_data.predictions.data.anomaly
    return {
        **record,
        "served": _served(entry),
        "anomaly": None
        if anomaly is None
        else {
            "is_anomaly": anomaly.is_anomaly,
            "score": anomaly.score,
            "explanation": anomaly.text,
        },
        **_extras(entry),
    }


async def _async_retrain(call: ServiceCall) -> None:
    entry = _loaded_entry(call.hass, call)
    training = entry.runtime_data.training
    await training.async_refresh()
    if not training.last_update_success:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="training_failed",
            translation_placeholders={"entry": entry.title},
        )


async def _async_mark_period(call: ServiceCall) -> None:
    entry = _loaded_entry(call.hass, call)
    start = dt_util.as_utc(call.data[ATTR_START])
    end = dt_util.as_utc(call.data[ATTR_END])
    if end <= start or end - start > timedelta(days=366):
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="invalid_period")
    await async_mark_period(
        call.hass, entry, start, end, normal=call.data[ATTR_KIND] == KIND_NORMAL
    )


async def async_mark_period(
    hass: HomeAssistant,
    entry: ForesightConfigEntry,
    start: datetime,
    end: datetime,
    *,
    normal: bool,
) -> None:
    """Feedback: a normal period clears the alarm; an abnormal one is not learnt from."""
    runtime = entry.runtime_data
    models = runtime.training.data
    if models is not None and (detector := models.detector) is not None:
        mark = detector.mark_normal if normal else detector.mark_abnormal
        async with runtime.detector_lock:
            await hass.async_add_executor_job(mark, start, end)
            shown = models.last_anomaly
            if shown is not None and shown.is_anomaly and not detector.is_anomaly:
                # The alarm shown is the last hour's verdict, kept until another hour is
                # scored; without this the cleared alarm would stay on until then.
                models.last_anomaly = None
    if not normal:
        periods = [*runtime.settings.excluded_periods, Period(start, end)]
        hass.config_entries.async_update_entry(
            entry,
            options={**entry.options, CONF_EXCLUDED_PERIODS: [p.as_dict() for p in periods]},
        )
        runtime.settings = EntrySettings.from_entry(entry)
    await runtime.predictions.async_refresh()


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register Foresight's actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_FORECAST,
        _async_get_forecast,
        schema=GET_FORECAST_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_EXPLAIN,
        _async_explain,
        schema=EXPLAIN_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(DOMAIN, SERVICE_RETRAIN, _async_retrain, schema=RETRAIN_SCHEMA)
    hass.services.async_register(
        DOMAIN, SERVICE_MARK_PERIOD, _async_mark_period, schema=MARK_PERIOD_SCHEMA
    )
