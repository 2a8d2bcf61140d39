"""Foresight demo home: a simulated household for development only.

``scripts/develop`` links this package into ``config/custom_components`` next to Foresight;
it is never part of the HACS package. Set up from ``configuration.yaml`` with
``foresight_demo:``, it

* adds live sensors (a whole-home energy meter, appliance power, outdoor and room
  temperature) whose values come from a seeded model of a home (see ``model.py``);
* on its first start only, imports about 60 days of the same model's history as hourly
  long-term statistics of those sensors, so the recorder holds realistic history at once,
  and the live meter continues exactly from the last imported reading;
* then runs Foresight's config flow for the energy meter, as a user would.

What has been done is remembered in ``.storage/foresight_demo``.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
import logging
import math
import time
from typing import Any, Final
from zoneinfo import ZoneInfo

from homeassistant.components.recorder.db_schema import StatisticsShortTerm
from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_import_statistics,
    get_last_statistics,
)
from homeassistant.config_entries import SOURCE_USER, ConfigFlowResult
from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType, UnknownHandler
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import (
    config_validation as cv,
    discovery,
    entity_registry as er,
)
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.storage import Store
from homeassistant.helpers.typing import ConfigType
from homeassistant.loader import IntegrationNotFound
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import (
    EnergyConverter,
    PowerConverter,
    TemperatureConverter,
)
import numpy as np
import probatio

from .model import HomeModel, HomeSample, energy_between, hourly_statistics

_LOGGER = logging.getLogger(__name__)

DOMAIN: Final = "foresight_demo"
FORESIGHT: Final = "foresight"

CONF_SEED: Final = "seed"
CONF_HISTORY_DAYS: Final = "history_days"
CONF_UPDATE_INTERVAL: Final = "update_interval"
CONF_CREATE_FORESIGHT_ENTRY: Final = "create_foresight_entry"

CONFIG_SCHEMA = probatio.Schema(
    {
        DOMAIN: probatio.All(
            lambda value: value or {},
            probatio.Schema(
                {
                    probatio.Optional(CONF_SEED, default=2026): cv.positive_int,
                    probatio.Optional(CONF_HISTORY_DAYS, default=60): probatio.All(
                        probatio.Coerce(int), probatio.Range(min=1, max=400)
                    ),
                    probatio.Optional(CONF_UPDATE_INTERVAL, default=15): probatio.All(
                        probatio.Coerce(int), probatio.Range(min=1, max=300)
                    ),
                    probatio.Optional(CONF_CREATE_FORESIGHT_ENTRY, default=True): cv.boolean,
                }
            ),
        )
    },
    extra=probatio.ALLOW_EXTRA,
)

STORAGE_VERSION: Final = 1
DATA_HOME: Final = "foresight_demo_home"
# How long to wait for the recorder to commit the imported history.
_IMPORT_TIMEOUT: Final = 300.0


@dataclass(frozen=True, slots=True)
class DemoSensorSpec:
    """What the demo knows about one of its sensors (the entity itself is in sensor.py)."""

    key: str
    object_id: str
    name: str
    unit: str
    unit_class: str
    cumulative: bool = False
    values: Callable[[HomeSample], np.ndarray[Any, Any]] | None = None
    decimals: int = 1


METER = DemoSensorSpec(
    key="home_energy",
    object_id="demo_home_energy",
    name="Demo home energy",
    unit="kWh",
    unit_class=EnergyConverter.UNIT_CLASS,
    cumulative=True,
    decimals=3,
)
SPECS: Final = (
    METER,
    DemoSensorSpec(
        key="heat_pump_power",
        object_id="demo_heat_pump_power",
        name="Demo heat pump power",
        unit="W",
        unit_class=PowerConverter.UNIT_CLASS,
        values=lambda s: s.heat_pump_power,
        decimals=0,
    ),
    DemoSensorSpec(
        key="washing_machine_power",
        object_id="demo_washing_machine_power",
        name="Demo washing machine power",
        unit="W",
        unit_class=PowerConverter.UNIT_CLASS,
        values=lambda s: s.washing_machine_power,
        decimals=0,
    ),
    DemoSensorSpec(
        key="dishwasher_power",
        object_id="demo_dishwasher_power",
        name="Demo dishwasher power",
        unit="W",
        unit_class=PowerConverter.UNIT_CLASS,
        values=lambda s: s.dishwasher_power,
        decimals=0,
    ),
    DemoSensorSpec(
        key="outdoor_temperature",
        object_id="demo_outdoor_temperature",
        name="Demo outdoor temperature",
        unit="°C",
        unit_class=TemperatureConverter.UNIT_CLASS,
        values=lambda s: s.outdoor_temperature,
    ),
    DemoSensorSpec(
        key="living_room_temperature",
        object_id="demo_living_room_temperature",
        name="Demo living room temperature",
        unit="°C",
        unit_class=TemperatureConverter.UNIT_CLASS,
        values=lambda s: s.room_temperature,
    ),
)
OUTDOOR_KEY: Final = "outdoor_temperature"


def unique_id(spec: DemoSensorSpec) -> str:
    """The unique id of a demo sensor."""
    return f"{DOMAIN}_{spec.key}"


class DemoHome:
    """The running demo: the model, the meter's anchor and the live values."""

    def __init__(
        self,
        hass: HomeAssistant,
        model: HomeModel,
        *,
        anchor: float,
        anchor_value: float,
        entity_ids: dict[str, str],
        update_interval: timedelta,
    ) -> None:
        """Continue the meter from ``anchor_value`` kWh at ``anchor`` (a timestamp)."""
        self.hass = hass
        self.model = model
        self.entity_ids = entity_ids
        self.update_interval = update_interval
        self.values: dict[str, float] = {}
        self._meter_time = anchor
        self._meter_value = anchor_value
        self._listeners: list[CALLBACK_TYPE] = []
        self._unsub_timer: CALLBACK_TYPE | None = None

    def advance_meter(self, now: float) -> None:
        """Add the energy used since the last reading (may be long after a restart)."""
        if now > self._meter_time:
            self._meter_value += energy_between(self.model, self._meter_time, now)
            self._meter_time = now

    def compute(self, now: float) -> None:
        """Compute every sensor's value at ``now``."""
        self.advance_meter(now)
        sample = self.model.sample(now, 1)
        values = {METER.key: round(self._meter_value, METER.decimals)}
        for spec in SPECS:
            if spec.values is not None:
                values[spec.key] = round(float(spec.values(sample)[0]), spec.decimals)
        self.values = values

    @callback
    def async_add_listener(self, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``update`` after each tick; start ticking with the first listener."""
        self._listeners.append(update)
        if self._unsub_timer is None:
            self._unsub_timer = async_track_time_interval(
                self.hass, self._async_tick, self.update_interval, name="foresight_demo tick"
            )

        @callback
        def remove() -> None:
            self._listeners.remove(update)

        return remove

    @callback
    def _async_tick(self, _now: Any) -> None:
        self.compute(time.time())
        for update in list(self._listeners):
            update()

    @callback
    def async_stop(self, _event: Event | None = None) -> None:
        """Stop ticking."""
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the demo home; import its history and create a Foresight entry the first time."""
    conf: dict[str, Any] = config[DOMAIN]
    store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, DOMAIN)
    state = await store.async_load()
    first_start = state is None
    if state is None:
        state = await _async_plan(hass, conf)
        await store.async_save(state)
    elif state["seed"] != conf[CONF_SEED]:
        _LOGGER.warning(
            "Keeping seed %s of the existing demo home (configured: %s); "
            "run scripts/develop --reset to start a new one",
            state["seed"],
            conf[CONF_SEED],
        )
    model = HomeModel(state["seed"], ZoneInfo(hass.config.time_zone))

    registry = er.async_get(hass)
    entity_ids = {
        spec.key: registry.async_get_or_create(
            Platform.SENSOR,
            DOMAIN,
            unique_id(spec),
            suggested_object_id=spec.object_id,
            original_name=spec.name,
        ).entity_id
        for spec in SPECS
    }

    if not state["history_imported"]:
        # Queued before any live state is written, so the recorder's first five-minute
        # statistics of the meter continue from the imported sum.
        await _async_queue_history_import(hass, model, state, entity_ids)

    home = DemoHome(
        hass,
        model,
        anchor=state["anchor"],
        anchor_value=state["anchor_value"],
        entity_ids=entity_ids,
        update_interval=timedelta(seconds=conf[CONF_UPDATE_INTERVAL]),
    )
    await hass.async_add_executor_job(home.compute, time.time())
    hass.data[DATA_HOME] = home
    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, home.async_stop)
    hass.async_create_task(
        discovery.async_load_platform(hass, Platform.SENSOR, DOMAIN, {}, config),
        "foresight_demo sensors",
    )

    async def _async_started(hass: HomeAssistant) -> None:
        hass.async_create_background_task(
            _async_finish_first_start(hass, store, state, entity_ids, conf),
            "foresight_demo first start",
        )

    async_at_started(hass, _async_started)
    _LOGGER.info(
        "Demo home %s (seed %s): %s",
        "created" if first_start else "resumed",
        state["seed"],
        ", ".join(entity_ids.values()),
    )
    return True


async def _async_plan(hass: HomeAssistant, conf: dict[str, Any]) -> dict[str, Any]:
    """Decide the demo's history window and meter reading on its very first start."""
    seed: int = conf[CONF_SEED]
    anchor = dt_util.utcnow().replace(minute=0, second=0, microsecond=0).timestamp()
    origin = anchor - conf[CONF_HISTORY_DAYS] * 86_400
    # A plausible meter reading at the start of the history, different for each seed.
    offset = round(8_000.0 + (seed * 7_919) % 9_000 + 0.123, 3)
    model = HomeModel(seed, ZoneInfo(hass.config.time_zone))
    used = await hass.async_add_executor_job(energy_between, model, origin, anchor)
    return {
        "seed": seed,
        "origin": origin,
        "anchor": anchor,
        "meter_offset": offset,
        "anchor_value": offset + used,
        "history_imported": False,
        "foresight_entry_created": False,
    }


def _history_rows(
    model: HomeModel, state: dict[str, Any]
) -> dict[str, tuple[list[StatisticData], list[StatisticData]]]:
    """Hourly rows per sensor key, and the meter's one five-minute row (executor)."""
    origin: float = state["origin"]
    hours = round((state["anchor"] - origin) / 3600)
    sample, energy = hourly_statistics(model, origin, hours)
    starts = [dt_util.utc_from_timestamp(origin + 3600 * hour) for hour in range(hours)]
    sums = np.cumsum(energy)
    offset: float = state["meter_offset"]
    rows: dict[str, tuple[list[StatisticData], list[StatisticData]]] = {
        METER.key: (
            [
                StatisticData(start=start, state=offset + float(total), sum=float(total))
                for start, total in zip(starts, sums, strict=True)
            ],
            # The recorder continues a meter's sum from its latest five-minute statistic;
            # without this row its first live statistic would start again from zero.
            [
                StatisticData(
                    start=dt_util.utc_from_timestamp(state["anchor"] - 300),
                    state=offset + float(sums[-1]),
                    sum=float(sums[-1]),
                )
            ],
        )
    }
    for spec in SPECS:
        if spec.values is None:
            continue
        per_hour = spec.values(sample).reshape(hours, 60)
        means, lows, highs = per_hour.mean(axis=1), per_hour.min(axis=1), per_hour.max(axis=1)
        rows[spec.key] = (
            [
                StatisticData(start=start, mean=float(mean), min=float(low), max=float(high))
                for start, mean, low, high in zip(starts, means, lows, highs, strict=True)
            ],
            [],
        )
    return rows


def _metadata(spec: DemoSensorSpec, entity_id: str) -> StatisticMetaData:
    """The same metadata the recorder's sensor platform would compile for this sensor."""
    return StatisticMetaData(
        mean_type=StatisticMeanType.NONE if spec.cumulative else StatisticMeanType.ARITHMETIC,
        has_sum=spec.cumulative,
        name=None,
        source="recorder",
        statistic_id=entity_id,
        unit_class=spec.unit_class,
        unit_of_measurement=spec.unit,
    )


async def _async_queue_history_import(
    hass: HomeAssistant, model: HomeModel, state: dict[str, Any], entity_ids: dict[str, str]
) -> None:
    """Queue the imported history of every sensor in the recorder."""
    started = time.monotonic()
    rows = await hass.async_add_executor_job(_history_rows, model, state)
    recorder = get_instance(hass)
    for spec in SPECS:
        metadata = _metadata(spec, entity_ids[spec.key])
        hourly, short_term = rows[spec.key]
        async_import_statistics(hass, metadata, hourly)
        if short_term:
            recorder.async_import_statistics(metadata, short_term, StatisticsShortTerm)
    _LOGGER.info(
        "Queued %d hours of demo history for %d sensors (%s to %s) in %.1f s",
        len(rows[METER.key][0]),
        len(SPECS),
        dt_util.as_local(dt_util.utc_from_timestamp(state["origin"])).isoformat(),
        dt_util.as_local(dt_util.utc_from_timestamp(state["anchor"])).isoformat(),
        time.monotonic() - started,
    )


async def _async_wait_for_history(hass: HomeAssistant, meter_id: str, anchor: float) -> bool:
    """Wait until the recorder has committed the meter's last imported hour."""
    recorder = get_instance(hass)
    last_start = anchor - 3600
    deadline = time.monotonic() + _IMPORT_TIMEOUT
    while time.monotonic() < deadline:
        await recorder.async_block_till_done()
        last = await recorder.async_add_executor_job(
            get_last_statistics, hass, 1, meter_id, False, {"sum"}
        )
        rows = last.get(meter_id, [])
        if rows and math.isclose(rows[0]["start"], last_start):
            return True
        await asyncio.sleep(1.0)
    return False


async def _async_finish_first_start(
    hass: HomeAssistant,
    store: Store[dict[str, Any]],
    state: dict[str, Any],
    entity_ids: dict[str, str],
    conf: dict[str, Any],
) -> None:
    """Wait for the imported history, then create the Foresight entry once."""
    meter_id = entity_ids[METER.key]
    if not state["history_imported"]:
        if not await _async_wait_for_history(hass, meter_id, state["anchor"]):
            _LOGGER.error("The recorder did not commit the demo history in time")
            return
        state["history_imported"] = True
        await store.async_save(state)
        _LOGGER.info("Demo history is in the recorder")
    if state["foresight_entry_created"] or not conf[CONF_CREATE_FORESIGHT_ENTRY]:
        return
    if await _async_create_foresight_entry(hass, meter_id, entity_ids[OUTDOOR_KEY]):
        state["foresight_entry_created"] = True
        await store.async_save(state)


def _schema_keys(result: ConfigFlowResult) -> set[str]:
    schema = result.get("data_schema")
    if schema is None:
        return set()
    return {str(getattr(key, "schema", key)) for key in schema.schema}


async def _async_create_foresight_entry(
    hass: HomeAssistant, meter_id: str, outdoor_id: str
) -> bool:
    """Run Foresight's config flow for the meter as the UI would; True once an entry exists."""
    if any(
        entry.unique_id == meter_id or entry.data.get("target_entity") == meter_id
        for entry in hass.config_entries.async_entries(FORESIGHT)
    ):
        return True
    try:
        result = await hass.config_entries.flow.async_init(
            FORESIGHT, context={"source": SOURCE_USER}, data=None
        )
    except (UnknownHandler, IntegrationNotFound) as err:
        _LOGGER.warning(
            "Foresight is not available (%s); no Foresight entry created", type(err).__name__
        )
        return False
    answers: dict[str, Any] = {"target_entity": meter_id, "feature_entities": [outdoor_id]}
    answered = await _async_answer_forms(hass, result, answers)
    if answered is None:
        return False
    result = answered
    if result["type"] is FlowResultType.CREATE_ENTRY:
        entry = result.get("result")
        _LOGGER.info("Created Foresight entry %s for %s", getattr(entry, "entry_id", "?"), meter_id)
        return True
    if result["type"] is FlowResultType.ABORT:
        _LOGGER.warning("Foresight's config flow aborted: %s", result.get("reason"))
        return result.get("reason") == "already_configured"
    _LOGGER.error("Foresight's config flow ended unexpectedly: %s", result)
    if result["type"] is FlowResultType.FORM:
        hass.config_entries.flow.async_abort(result["flow_id"])
    return False


async def _async_answer_forms(
    hass: HomeAssistant, result: ConfigFlowResult, answers: dict[str, Any]
) -> ConfigFlowResult | None:
    """Fill each form with the answers its schema asks for; None (flow aborted) on errors."""
    flow = hass.config_entries.flow
    for _ in range(5):  # the flow may have more than one step
        if result["type"] is not FlowResultType.FORM:
            break
        if result.get("errors"):
            _LOGGER.error(
                "Foresight's config flow (step %s) re-showed its form with errors %s; "
                "no Foresight entry created",
                result.get("step_id"),
                result["errors"],
            )
            flow.async_abort(result["flow_id"])
            return None
        keys = _schema_keys(result)
        user_input = {key: value for key, value in answers.items() if key in keys}
        try:
            result = await flow.async_configure(result["flow_id"], user_input)
        except (probatio.Invalid, HomeAssistantError) as err:
            _LOGGER.error(
                "Foresight's config flow rejected %s at step %s: %s",
                user_input,
                result.get("step_id"),
                err,
            )
            flow.async_abort(result["flow_id"])
            return None
    return result
