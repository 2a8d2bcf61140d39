"""Read a sensor's readings at their own pace, for the sensor forecaster and anomaly detector.

The hourly history (``history.py``) suits energy; a freezer or a battery needs its readings
as they came. States are kept by the recorder for ten days by default, so this reads what
is left; training falls back to the hourly history where it is too little.
"""

from datetime import datetime

from homeassistant.components.recorder.db_schema import RecorderRuns
from homeassistant.components.recorder.history import get_significant_states
from homeassistant.components.recorder.models import process_timestamp
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers.recorder import session_scope
import numpy as np
from sqlalchemy import or_

from .history import EntitySpec, async_recorder_read, states_as_numbers
from .prediction import Samples


async def async_read_samples(
    hass: HomeAssistant,
    target: EntitySpec,
    start: datetime,
    end: datetime,
    features: tuple[EntitySpec, ...] = (),
) -> Samples:
    """The readings of the target and its features between two moments, in their units.

    Raises:
        HistoryReadTimeoutError: The recorder did not answer within ``READ_TIMEOUT``.
    """
    specs = (target, *features)
    states, stops = await async_recorder_read(
        hass, _read_states, hass, [spec.entity_id for spec in specs], start, end
    )
    return await hass.async_add_executor_job(_as_samples, specs, states, stops)


def _read_states(
    hass: HomeAssistant, entity_ids: list[str], start: datetime, end: datetime
) -> tuple[dict[str, list[State]], list[datetime]]:
    states = get_significant_states(
        hass,
        start,
        end,
        entity_ids,
        include_start_time_state=True,
        significant_changes_only=False,
    )
    with session_scope(hass=hass, read_only=True) as session:
        # Runs that ended in the window: Home Assistant stopped then (a crash is dated to the
        # next start by the recorder, so it cannot be told from here).
        ends = (
            session.query(RecorderRuns.end)
            .filter(RecorderRuns.end.is_not(None), RecorderRuns.end >= start)
            .filter(RecorderRuns.end <= end)
            .all()
        )
        # Stopped at the window's start too: the state from before comes back dated to it.
        running = (
            session.query(RecorderRuns.run_id)
            .filter(RecorderRuns.start <= start)
            .filter(or_(RecorderRuns.end.is_(None), RecorderRuns.end >= start))
            .first()
        )
    stops = [process_timestamp(moment) for (moment,) in ends]
    if running is None:
        stops.append(start)
    return {
        entity_id: [state for state in states.get(entity_id, []) if isinstance(state, State)]
        for entity_id in entity_ids
    }, stops


def _as_samples(
    specs: tuple[EntitySpec, ...], states: dict[str, list[State]], stops: list[datetime]
) -> Samples:
    import pandas as pd  # noqa: PLC0415 - executor only: never imported in the event loop

    readings = []
    for number, spec in enumerate(specs):
        times, values, _, _ = states_as_numbers(spec, states[spec.entity_id])
        name = "target" if number == 0 else spec.entity_id
        readings.append(
            pd.Series(values, index=pd.to_datetime(times, unit="s", utc=True), name=name)
        )
    columns = [
        series[np.isfinite(series.to_numpy())].groupby(level=0).mean() for series in readings
    ]
    unknown = pd.Series(np.nan, index=pd.to_datetime(stops, utc=True))
    target = pd.concat([readings[0], unknown]).sort_index(kind="stable")
    return Samples(pd.concat(columns, axis=1).sort_index(), target)
