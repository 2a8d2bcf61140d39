"""Read hourly history from the recorder: long-term statistics first, states after them.

Database reads run in the recorder's executor, the number crunching in Home Assistant's
executor; nothing here blocks the event loop.
"""

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
import itertools
from typing import TYPE_CHECKING, Any, Literal

from homeassistant.components.recorder.history import get_significant_states
from homeassistant.components.recorder.models import StatisticMeanType
from homeassistant.components.recorder.statistics import (
    STATISTIC_UNIT_TO_UNIT_CONVERTER,
    get_metadata,
    statistics_during_period,
)
from homeassistant.components.sensor import ATTR_STATE_CLASS, SensorStateClass
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
import numpy as np
import numpy.typing as npt

from .ml.cleaning import (
    HOUR,
    BoolArray,
    Flag,
    FloatArray,
    HourlySeries,
    flag_implausible,
    hour_starts,
    hourly_meter_increments,
    mask_periods,
    parse_numeric,
    time_weighted_hourly_mean,
)
from .ml.quality import DataQuality, UnitChange, build_history, epoch, hours_between

if TYPE_CHECKING:
    import pandas as pd


#: Longest wait for the recorder's answer. Two years of ten entities' statistics take 0.7 s
#: on the development machine (bench.history); a read still running after this is stuck (a
#: locked or overloaded database), and the coordinator's retry beats waiting for ever.
READ_TIMEOUT = timedelta(minutes=5)


class HistoryReadTimeoutError(Exception):
    """The recorder did not answer a history read in time."""

    def __str__(self) -> str:
        """Say what happened: a bare TimeoutError has no text for the notice."""
        return f"the recorder did not answer within {READ_TIMEOUT.total_seconds():g} s"


@dataclass(frozen=True, slots=True)
class EntitySpec:
    """What Foresight needs to know about an entity to turn its history into hourly values."""

    entity_id: str
    # total / total_increasing: hourly consumption; anything else: hourly mean.
    cumulative: bool = False
    # total_increasing: a decrease is a meter reset, not negative consumption.
    decrease_is_reset: bool = False
    # Everything is converted to this unit (the entity's current one).
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class ExcludedPeriod:
    """A period not to learn from, and why."""

    start: datetime
    end: datetime
    flag: Flag = Flag.USER_PERIOD


@dataclass(frozen=True, slots=True)
class HistoryRequest:
    """The target, its features and the window (whole UTC hours) to read."""

    target: EntitySpec
    start: datetime
    end: datetime
    features: tuple[EntitySpec, ...] = ()
    excluded_periods: tuple[ExcludedPeriod, ...] = ()
    # Extra feature columns computed by the caller (for example calendar events), per hour.
    extra_features: dict[str, FloatArray] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HistoryResult:
    """The hourly frame (see ``ml.quality.build_history``) and its quality summary."""

    frame: pd.DataFrame
    quality: DataQuality


@dataclass(slots=True)
class _RawHistory:
    """What the recorder returned for one entity."""

    # Start of each hourly statistic and its value: the running sum for meters, else the mean.
    statistic_starts: FloatArray = field(default_factory=lambda: np.empty(0))
    statistic_values: FloatArray = field(default_factory=lambda: np.empty(0))
    states: list[State] = field(default_factory=list)
    # From the statistics metadata, when there is any: the entity is a meter with a sum.
    has_sum: bool | None = None
    # The unit of the statistics, and whether they cannot be read in the entity's unit.
    unit: str | None = None
    unit_mismatch: bool = False

    def resolve(self, spec: EntitySpec) -> EntitySpec:
        """Trust the statistics metadata over the current state (which may be gone)."""
        if spec.unit is None:
            # No state to ask a unit of: the recorder gave the statistics in their own.
            spec = replace(spec, unit=self.unit)
        if self.has_sum is None or self.has_sum == spec.cumulative:
            return spec
        return replace(spec, cumulative=self.has_sum, decrease_is_reset=self.has_sum)


_JUST_BEFORE = timedelta(milliseconds=1)
_READINGS_AFTER_WINDOW = timedelta(hours=1)
_STATISTICS_CHUNK = timedelta(days=30)


def entity_spec(hass: HomeAssistant, entity_id: str) -> EntitySpec:
    """Describe an entity from its current state (its state class and unit)."""
    state = hass.states.get(entity_id)
    attributes = state.attributes if state is not None else {}
    state_class = attributes.get(ATTR_STATE_CLASS)
    return EntitySpec(
        entity_id=entity_id,
        cumulative=state_class in (SensorStateClass.TOTAL, SensorStateClass.TOTAL_INCREASING),
        decrease_is_reset=state_class == SensorStateClass.TOTAL_INCREASING,
        unit=attributes.get(ATTR_UNIT_OF_MEASUREMENT),
    )


def can_convert(from_unit: str | None, to_unit: str | None) -> bool:
    """Whether values in ``from_unit`` can be read in ``to_unit`` (kWh in Wh, not in m³)."""
    if from_unit == to_unit:
        return True
    converter = STATISTIC_UNIT_TO_UNIT_CONVERTER.get(to_unit)
    return converter is not None and from_unit in converter.VALID_UNITS


async def async_read_history(hass: HomeAssistant, request: HistoryRequest) -> HistoryResult:
    """Read and clean the hourly history of the target and its features.

    Raises:
        HistoryReadTimeoutError: The recorder did not answer within ``READ_TIMEOUT``.
    """
    raw = await async_recorder_read(hass, _read_recorder, hass, request)
    return await hass.async_add_executor_job(_normalise, request, raw)


async def async_recorder_read[T](hass: HomeAssistant, read: Callable[..., T], *args: Any) -> T:
    """Run ``read`` in the recorder's executor, giving up after ``READ_TIMEOUT``.

    Raises:
        HistoryReadTimeoutError: The recorder did not answer in time.
    """
    try:
        async with asyncio.timeout(READ_TIMEOUT.total_seconds()):
            return await get_instance(hass).async_add_executor_job(read, *args)
    except TimeoutError as err:
        raise HistoryReadTimeoutError from err


def _read_recorder(hass: HomeAssistant, request: HistoryRequest) -> dict[str, _RawHistory]:
    """Statistics where they exist, then the states that come after them (recorder thread)."""
    specs = (request.target, *request.features)
    metadata = get_metadata(hass, statistic_ids={spec.entity_id for spec in specs})
    raw = {spec.entity_id: _RawHistory() for spec in specs}
    states_from = dict.fromkeys(raw, request.start)
    for spec in specs:
        meta = metadata.get(spec.entity_id, (0, None))[1]
        if meta is None or (not meta["has_sum"] and meta["mean_type"] == StatisticMeanType.NONE):
            continue
        unit = meta["unit_of_measurement"]
        # Asked for kWh in m³, the recorder hands the kWh numbers back as they are.
        mismatch = spec.unit is not None and not can_convert(unit, spec.unit)
        units = None
        if spec.unit is not None and not mismatch and spec.unit in STATISTIC_UNIT_TO_UNIT_CONVERTER:
            units = {meta["unit_class"]: spec.unit} if meta["unit_class"] else None
        # One hour earlier for meters: the first hour's consumption is a difference of sums.
        starts, values = _statistics_in_chunks(
            hass,
            spec.entity_id,
            start=request.start - timedelta(hours=1),
            end=request.end,
            units=units,
            column="sum" if meta["has_sum"] else "mean",
        )
        if mismatch:
            values = np.full_like(values, np.nan)
        raw[spec.entity_id] = _RawHistory(
            starts, values, has_sum=meta["has_sum"], unit=unit, unit_mismatch=mismatch
        )
        if starts.size:
            first_uncompiled = dt_util.utc_from_timestamp(starts[-1] + HOUR)
            states_from[spec.entity_id] = max(request.start, first_uncompiled)
    # One read per start: a feature without statistics (a template sensor without a state
    # class) must not make a chatty target's states be read over the whole window.
    by_start: dict[datetime, list[str]] = {}
    for entity_id, moment in states_from.items():
        if moment < request.end:
            by_start.setdefault(moment, []).append(entity_id)
    for moment, entity_ids in by_start.items():
        states = get_significant_states(
            hass,
            # The recorder leaves out a state changed exactly at the start time; start a moment
            # earlier so that one counts as the state current at the start.
            moment - _JUST_BEFORE,
            # A meter reading just after the window still tells what the last hour used.
            request.end + _READINGS_AFTER_WINDOW,
            entity_ids,
            include_start_time_state=True,
            significant_changes_only=False,
        )
        for entity_id, entity_states in states.items():
            raw[entity_id].states = _states_from(entity_states, moment)
    return raw


def _statistics_in_chunks(
    hass: HomeAssistant,
    entity_id: str,
    *,
    start: datetime,
    end: datetime,
    units: dict[str, str] | None,
    column: Literal["mean", "sum"],
) -> tuple[FloatArray, FloatArray]:
    """Hourly statistics as arrays of starts and values, read a month at a time.

    Holding a year of rows as dicts makes Python run full garbage collections that stall the
    event loop for a few hundred milliseconds; a month's rows die young once turned into
    arrays, and each read holds the GIL only briefly.
    """
    starts: list[FloatArray] = []
    values: list[FloatArray] = []
    chunk_start = start
    while chunk_start < end:
        chunk_end = min(chunk_start + _STATISTICS_CHUNK, end)
        rows = statistics_during_period(
            hass, chunk_start, chunk_end, {entity_id}, "hour", units, {column}
        ).get(entity_id, [])
        starts.append(np.fromiter((row["start"] for row in rows), np.float64, len(rows)))
        values.append(
            np.fromiter(
                (np.nan if (value := row.get(column)) is None else value for row in rows),
                np.float64,
                len(rows),
            )
        )
        chunk_start = chunk_end
    return np.concatenate(starts), np.concatenate(values)


def _states_from(states: Sequence[State | dict[str, Any]], moment: datetime) -> list[State]:
    """The states from ``moment`` on, with the one that was current at ``moment``."""
    full = [state for state in states if isinstance(state, State)]
    first = next((i for i, state in enumerate(full) if state.last_changed >= moment), len(full))
    return full[max(first - 1, 0) :]


def _normalise(request: HistoryRequest, raw: dict[str, _RawHistory]) -> HistoryResult:
    """Turn raw rows into the hourly frame (Home Assistant's executor)."""
    start = epoch(request.start)
    hours = hours_between(request.start, request.end)
    target_raw = raw[request.target.entity_id]
    target_spec = target_raw.resolve(request.target)
    target, unit_changes, mismatch = _entity_hourly(target_spec, target_raw, start, hours)
    flags: dict[Flag, BoolArray] = dict(
        flag_implausible(target.values, cumulative_source=target_spec.cumulative)
    )
    flags[Flag.UNIT_MISMATCH] = mismatch
    for period in request.excluded_periods:
        mask = mask_periods(hour_starts(start, hours), [(epoch(period.start), epoch(period.end))])
        flags[period.flag] = flags.get(period.flag, np.zeros(hours, dtype=bool)) | mask
    features = {
        spec.entity_id: _entity_hourly(
            raw[spec.entity_id].resolve(spec), raw[spec.entity_id], start, hours
        )[0].values
        for spec in request.features
    }
    features.update(request.extra_features)
    source = _source_label(target_raw)
    frame, quality = build_history(
        start,
        target,
        features,
        flags,
        source=source,
        unit=target_spec.unit,
        unit_changes=unit_changes,
    )
    return HistoryResult(frame, quality)


def _source_label(raw: _RawHistory) -> str:
    if raw.statistic_starts.size and raw.states:
        return "statistics+states"
    if raw.statistic_starts.size:
        return "statistics"
    return "states" if raw.states else "none"


def _entity_hourly(
    spec: EntitySpec, raw: _RawHistory, start: float, hours: int
) -> tuple[HourlySeries, tuple[UnitChange, ...], BoolArray]:
    """One entity's hourly values: statistics where compiled, states after them."""
    values = np.full(hours, np.nan)
    flags: dict[Flag, BoolArray] = {Flag.METER_RESET: np.zeros(hours, dtype=bool)}
    mismatch = np.zeros(hours, dtype=bool)
    first_state_hour = 0
    if raw.statistic_starts.size:
        row_hours, row_values = _statistics_hourly(spec, raw, start)
        inside = (row_hours >= 0) & (row_hours < hours)
        values[row_hours[inside]] = row_values[inside]
        mismatch[row_hours[inside]] = raw.unit_mismatch
        first_state_hour = int(row_hours[-1]) + 1

    unit_changes: tuple[UnitChange, ...] = ()
    if raw.states and first_state_hour < hours:
        times, numbers, mismatched, unit_changes = states_as_numbers(spec, raw.states)
        if spec.cumulative:
            from_states = hourly_meter_increments(
                times, numbers, start, hours, decrease_is_reset=spec.decrease_is_reset
            )
        else:
            means, _ = time_weighted_hourly_mean(times, numbers, start, hours)
            from_states = HourlySeries(means, {})
        tail = slice(first_state_hour, hours)
        values[tail] = from_states.values[tail]
        for flag, mask in from_states.flags.items():
            flags[flag][tail] = mask[tail]
        share, _ = time_weighted_hourly_mean(times, mismatched, start, hours)
        mismatch[tail] = np.nan_to_num(share[tail]) > 0
    return HourlySeries(values, flags), unit_changes, mismatch


def _statistics_hourly(
    spec: EntitySpec, raw: _RawHistory, start: float
) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """Hour positions and values of statistics: means, or differences of running sums."""
    positions = np.round((raw.statistic_starts - start) / HOUR).astype(np.int64)
    if not spec.cumulative:
        return positions, raw.statistic_values
    change = np.diff(raw.statistic_values, prepend=np.nan)
    # After a missing hour the difference spans the gap: unknown, not one hour's use.
    consecutive = np.diff(positions, prepend=positions[0] - 2) == 1
    return positions, np.where(consecutive, change, np.nan)


def states_as_numbers(
    spec: EntitySpec, states: list[State]
) -> tuple[FloatArray, FloatArray, FloatArray, tuple[UnitChange, ...]]:
    """Times and numeric values in the entity's unit, and where a unit could not be converted.

    Returns times, values (NaN where unknown or not convertible), an indicator that is 1.0
    where the state had a unit that cannot be converted to the entity's unit (NaN where the
    state itself is unknown), and the unit changes seen.
    """
    times = np.fromiter((s.last_changed_timestamp for s in states), np.float64, len(states))
    numbers = parse_numeric(s.state for s in states)
    units = [s.attributes.get(ATTR_UNIT_OF_MEASUREMENT) for s in states]
    mismatched = np.where(np.isnan(numbers), np.nan, 0.0)
    converter = STATISTIC_UNIT_TO_UNIT_CONVERTER.get(spec.unit)
    conversions: dict[str | None, Callable[[float], float] | None] = {}
    changes: list[UnitChange] = []
    # Unknown states often carry no unit; only numeric states tell what the unit was.
    numeric_units = [(index, units[index]) for index in np.flatnonzero(~np.isnan(numbers))]
    for (_, before), (index, after) in itertools.pairwise(numeric_units):
        if before != after:
            changes.append(UnitChange(dt_util.utc_from_timestamp(times[index]), before, after))
    for index, unit in numeric_units:
        if unit == spec.unit:
            continue
        if unit not in conversions:
            conversions[unit] = (
                converter.converter_factory(unit, spec.unit)
                if converter is not None and unit in converter.VALID_UNITS
                else None
            )
        convert = conversions[unit]
        if convert is None:
            numbers[index] = np.nan
            mismatched[index] = 1.0
        else:
            numbers[index] = convert(float(numbers[index]))
    return times, numbers, mismatched, tuple(changes)
