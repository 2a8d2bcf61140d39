"""Foresight demo home: a simulated household for development only.

``scripts/develop`` links this package into ``config/custom_components`` next to Foresight;
it is never part of the HACS package. Set up from ``configuration.yaml`` with
``foresight_demo:``, it

* adds live sensors (a whole-home energy meter, appliance power, outdoor and room
  temperature, a freezer's temperature) whose values come from a seeded model of a home (see
  ``model.py``);
* on its first start only, imports about 60 days of the same model's history as hourly
  long-term statistics of those sensors, so the recorder holds realistic history at once,
  and the live meter continues exactly from the last imported reading;
* then runs Foresight's config flow for the energy meter and for the freezer, as a user
  would, and the freezer entry's options flow to watch its -12 °C limit.

What has been done is remembered in ``.storage/foresight_demo``. A demo home created before
a sensor existed gets that sensor's history (the days before the current hour) and its
Foresight entry on its next start.
"""

import asyncio
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
import logging
import math
import time
from typing import Any, Final, Literal
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
from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlowContext,
    ConfigFlowResult,
)
from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowManager, FlowResultType, UnknownHandler
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
# How long to wait for a new Foresight entry to finish setting up before changing its options.
_ENTRY_SETUP_TIMEOUT: Final = 600.0


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
FREEZER = DemoSensorSpec(
    key="freezer_temperature",
    object_id="demo_freezer_temperature",
    # The friendly name is what Foresight's config flow makes the entry's title of.
    name="Freezer",
    unit="°C",
    unit_class=TemperatureConverter.UNIT_CLASS,
    values=lambda s: s.freezer_temperature,
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
    FREEZER,
)
OUTDOOR_KEY: Final = "outdoor_temperature"
# The sensors of the first demo homes (one history window, ``origin`` to ``anchor``).
_ORIGINAL_KEYS: Final = (
    "home_energy",
    "heat_pump_power",
    "washing_machine_power",
    "dishwasher_power",
    "outdoor_temperature",
    "living_room_temperature",
)
# The freezer entry's limit, as answered in the options flow's "threshold" form.
FREEZER_LIMIT: Final[dict[str, Any]] = {
    "limit": -12.0,
    "limit_direction": "above",
    "warning_hours": 6,
    "warning_probability": 50,
}


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
    """Set up the demo home; import its history and create Foresight entries the first time."""
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
    if upgrade_state(state, _current_hour(), conf[CONF_HISTORY_DAYS]):
        _LOGGER.info("Demo home upgraded: new sensors get their history and Foresight entries")
        await store.async_save(state)
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

    if pending := pending_history(state):
        # Queued before any live state is written, so the recorder's first five-minute
        # statistics of the meter continue from the imported sum.
        await _async_queue_history_import(hass, model, state, entity_ids, pending)

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


def _current_hour() -> float:
    """The start of the current hour, as a timestamp."""
    return dt_util.utcnow().replace(minute=0, second=0, microsecond=0).timestamp()


async def _async_plan(hass: HomeAssistant, conf: dict[str, Any]) -> dict[str, Any]:
    """Decide the demo's history window and meter reading on its very first start."""
    seed: int = conf[CONF_SEED]
    anchor = _current_hour()
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
        "history": {
            spec.key: {"origin": origin, "anchor": anchor, "imported": False} for spec in SPECS
        },
        "foresight_entry_created": False,
        "freezer_entry_created": False,
        "freezer_limit_set": False,
    }


def upgrade_state(state: dict[str, Any], hour: float, history_days: int) -> bool:
    """Bring the state of an earlier demo home up to date; True when something changed.

    The first demo homes kept one history window (``origin`` to ``anchor``) and one
    ``history_imported`` flag for their six sensors; each sensor now has its own window. A
    sensor the home did not have yet gets the ``history_days`` before ``hour`` (the current
    hour), and the Foresight entries it did not have yet are still to be created.
    """
    changed = False
    history: dict[str, dict[str, Any]] | None = state.get("history")
    if history is None:
        history = state["history"] = {
            key: {
                "origin": state["origin"],
                "anchor": state["anchor"],
                "imported": bool(state.get("history_imported")),
            }
            for key in _ORIGINAL_KEYS
        }
        changed = True
    for spec in SPECS:
        if spec.key not in history:
            history[spec.key] = {
                "origin": hour - history_days * 86_400,
                "anchor": hour,
                "imported": False,
            }
            changed = True
    for flag in ("foresight_entry_created", "freezer_entry_created", "freezer_limit_set"):
        if flag not in state:
            state[flag] = False
            changed = True
    return changed


def pending_history(state: dict[str, Any]) -> list[str]:
    """The sensors whose imported history the recorder has not committed yet."""
    return [key for key, window in state["history"].items() if not window["imported"]]


def _windows(state: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """Each sensor's history window: (origin, anchor) timestamps."""
    history: dict[str, dict[str, Any]] | None = state.get("history")
    if history is None:
        return {spec.key: (state["origin"], state["anchor"]) for spec in SPECS}
    return {key: (window["origin"], window["anchor"]) for key, window in history.items()}


def _history_rows(
    model: HomeModel, state: dict[str, Any], keys: Collection[str] | None = None
) -> dict[str, tuple[list[StatisticData], list[StatisticData]]]:
    """Hourly rows per sensor key (all, or ``keys``), and the meter's one five-minute row.

    Runs in the executor. Sensors sharing a history window are sampled together.
    """
    windows = _windows(state)
    by_window: dict[tuple[float, float], list[DemoSensorSpec]] = {}
    for spec in SPECS:
        if keys is None or spec.key in keys:
            by_window.setdefault(windows[spec.key], []).append(spec)
    rows: dict[str, tuple[list[StatisticData], list[StatisticData]]] = {}
    for (origin, anchor), specs in by_window.items():
        hours = round((anchor - origin) / 3600)
        sample, energy = hourly_statistics(model, origin, hours)
        starts = [dt_util.utc_from_timestamp(origin + 3600 * hour) for hour in range(hours)]
        for spec in specs:
            if spec.cumulative:
                rows[spec.key] = _meter_rows(starts, energy, state["meter_offset"], anchor)
            elif spec.values is not None:
                per_hour = spec.values(sample).reshape(hours, 60)
                means = per_hour.mean(axis=1)
                lows, highs = per_hour.min(axis=1), per_hour.max(axis=1)
                rows[spec.key] = (
                    [
                        StatisticData(
                            start=start, mean=float(mean), min=float(low), max=float(high)
                        )
                        for start, mean, low, high in zip(starts, means, lows, highs, strict=True)
                    ],
                    [],
                )
    return rows


def _meter_rows(
    starts: list[datetime], energy: np.ndarray[Any, Any], offset: float, anchor: float
) -> tuple[list[StatisticData], list[StatisticData]]:
    """The meter's hourly rows, and the five-minute row the recorder continues from."""
    sums = np.cumsum(energy)
    return (
        [
            StatisticData(start=start, state=offset + float(total), sum=float(total))
            for start, total in zip(starts, sums, strict=True)
        ],
        # The recorder continues a meter's sum from its latest five-minute statistic;
        # without this row its first live statistic would start again from zero.
        [
            StatisticData(
                start=dt_util.utc_from_timestamp(anchor - 300),
                state=offset + float(sums[-1]),
                sum=float(sums[-1]),
            )
        ],
    )


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
    hass: HomeAssistant,
    model: HomeModel,
    state: dict[str, Any],
    entity_ids: dict[str, str],
    keys: list[str],
) -> None:
    """Queue the imported history of the sensors ``keys`` in the recorder."""
    started = time.monotonic()
    rows = await hass.async_add_executor_job(_history_rows, model, state, keys)
    recorder = get_instance(hass)
    for spec in SPECS:
        if spec.key not in rows:
            continue
        metadata = _metadata(spec, entity_ids[spec.key])
        hourly, short_term = rows[spec.key]
        async_import_statistics(hass, metadata, hourly)
        if short_term:
            recorder.async_import_statistics(metadata, short_term, StatisticsShortTerm)
    windows = _windows(state)
    for key in keys:
        origin, anchor = windows[key]
        _LOGGER.info(
            "Queued %d hours of demo history of %s (%s to %s)",
            len(rows[key][0]),
            entity_ids[key],
            dt_util.as_local(dt_util.utc_from_timestamp(origin)).isoformat(),
            dt_util.as_local(dt_util.utc_from_timestamp(anchor)).isoformat(),
        )
    _LOGGER.info(
        "Queued the history of %d sensors in %.1f s", len(keys), time.monotonic() - started
    )


async def _async_wait_for_history(
    hass: HomeAssistant, spec: DemoSensorSpec, statistic_id: str, anchor: float
) -> bool:
    """Wait until the recorder has committed a sensor's last imported hour."""
    recorder = get_instance(hass)
    last_start = anchor - 3600
    types: set[Literal["sum", "mean"]] = {"sum"} if spec.cumulative else {"mean"}
    deadline = time.monotonic() + _IMPORT_TIMEOUT
    while time.monotonic() < deadline:
        await recorder.async_block_till_done()
        last = await recorder.async_add_executor_job(
            get_last_statistics, hass, 1, statistic_id, False, types
        )
        rows = last.get(statistic_id, [])
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
    """Wait for the imported history, then create the Foresight entries once."""
    specs = {spec.key: spec for spec in SPECS}
    for key in pending_history(state):
        window = state["history"][key]
        if not await _async_wait_for_history(hass, specs[key], entity_ids[key], window["anchor"]):
            _LOGGER.error("The recorder did not commit the demo history of %s in time", key)
            return
        window["imported"] = True
        state["history_imported"] = not pending_history(state)
        await store.async_save(state)
        _LOGGER.info("Demo history of %s is in the recorder", entity_ids[key])
    if not conf[CONF_CREATE_FORESIGHT_ENTRY]:
        return
    if not state["foresight_entry_created"]:
        meter_id = entity_ids[METER.key]
        answers = {"target_entity": meter_id, "feature_entities": [entity_ids[OUTDOOR_KEY]]}
        if await _async_create_foresight_entry(hass, meter_id, answers):
            state["foresight_entry_created"] = True
            await store.async_save(state)
    freezer_id = entity_ids[FREEZER.key]
    if not state["freezer_entry_created"]:
        if not await _async_create_foresight_entry(hass, freezer_id, {"target_entity": freezer_id}):
            return
        state["freezer_entry_created"] = True
        await store.async_save(state)
    if not state["freezer_limit_set"] and await _async_set_limit(hass, freezer_id, FREEZER_LIMIT):
        state["freezer_limit_set"] = True
        await store.async_save(state)


def _schema_keys(result: ConfigFlowResult) -> set[str]:
    schema = result.get("data_schema")
    if schema is None:
        return set()
    return {str(getattr(key, "schema", key)) for key in schema.schema}


def _foresight_entry(hass: HomeAssistant, target: str) -> ConfigEntry | None:
    """The Foresight entry that predicts ``target``, if there is one."""
    return next(
        (
            entry
            for entry in hass.config_entries.async_entries(FORESIGHT)
            if entry.unique_id == target or entry.data.get("target_entity") == target
        ),
        None,
    )


async def _async_create_foresight_entry(
    hass: HomeAssistant, target: str, answers: dict[str, Any]
) -> bool:
    """Run Foresight's config flow for ``target`` as the UI would; True once an entry exists."""
    if _foresight_entry(hass, target) is not None:
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
    answered = await _async_answer_forms(hass.config_entries.flow, result, answers)
    if answered is None:
        return False
    result = answered
    if result["type"] is FlowResultType.CREATE_ENTRY:
        entry = result.get("result")
        _LOGGER.info(
            "Created Foresight entry %s (%s) for %s",
            getattr(entry, "entry_id", "?"),
            result.get("title"),
            target,
        )
        return True
    if result["type"] is FlowResultType.ABORT:
        _LOGGER.warning("Foresight's config flow aborted: %s", result.get("reason"))
        return result.get("reason") == "already_configured"
    _LOGGER.error("Foresight's config flow ended unexpectedly: %s", result)
    if result["type"] is FlowResultType.FORM:
        hass.config_entries.flow.async_abort(result["flow_id"])
    return False


async def _async_wait_for_setup(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Wait (a while) until a new entry has finished setting up, as a user would."""
    deadline = time.monotonic() + _ENTRY_SETUP_TIMEOUT
    while entry.state in {ConfigEntryState.NOT_LOADED, ConfigEntryState.SETUP_IN_PROGRESS}:
        if time.monotonic() > deadline:
            _LOGGER.warning("Foresight entry %s is still %s", entry.title, entry.state)
            return
        await asyncio.sleep(1.0)


async def _async_set_limit(hass: HomeAssistant, target: str, answers: dict[str, Any]) -> bool:
    """Watch a limit through the entry's options flow, as the UI would; True once it is set."""
    entry = _foresight_entry(hass, target)
    if entry is None:
        _LOGGER.warning("No Foresight entry for %s: no limit set", target)
        return False
    if entry.options.get("limit") is not None:
        return True
    await _async_wait_for_setup(hass, entry)
    options = hass.config_entries.options
    result = await options.async_init(entry.entry_id)
    if result["type"] is FlowResultType.MENU:  # "Configure" opens a menu: pick the limit
        if "threshold" not in (result.get("menu_options") or ()):
            _LOGGER.error("Foresight's options offer no limit: %s", result.get("menu_options"))
            options.async_abort(result["flow_id"])
            return False
        result = await options.async_configure(result["flow_id"], {"next_step_id": "threshold"})
    answered = await _async_answer_forms(options, result, answers)
    if answered is None:
        return False
    if answered["type"] is not FlowResultType.CREATE_ENTRY:
        _LOGGER.error("Foresight's options flow ended unexpectedly: %s", answered)
        if answered["type"] is FlowResultType.FORM:
            options.async_abort(answered["flow_id"])
        return False
    _LOGGER.info("Foresight entry %s now watches %s", entry.title, answers)
    return True


async def _async_answer_forms(
    flow: FlowManager[ConfigFlowContext, ConfigFlowResult],
    result: ConfigFlowResult,
    answers: dict[str, Any],
) -> ConfigFlowResult | None:
    """Fill each form with the answers its schema asks for; None (flow aborted) on errors."""
    for _ in range(5):  # the flow may have more than one step
        if result["type"] is not FlowResultType.FORM:
            break
        if result.get("errors"):
            _LOGGER.error(
                "Foresight's flow (step %s) re-showed its form with errors %s; giving up",
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
                "Foresight's flow rejected %s at step %s: %s",
                user_input,
                result.get("step_id"),
                err,
            )
            flow.async_abort(result["flow_id"])
            return None
    return result
