"""Read a sensor's readings at their own pace, for the forecasts of non-energy sensors.

The hourly history (``history.py``) suits energy; a freezer or a battery needs its readings
as they came. States are kept by the recorder for ten days by default, so this reads what
is left; training falls back to the hourly history where it is too little.
"""

from datetime import datetime
from typing import TYPE_CHECKING

from homeassistant.components.recorder.history import get_significant_states
from homeassistant.core import HomeAssistant, State
import numpy as np

from .history import EntitySpec, async_recorder_read, states_as_numbers

if TYPE_CHECKING:
    import pandas as pd


async def async_read_samples(
    hass: HomeAssistant,
    target: EntitySpec,
    start: datetime,
    end: datetime,
    features: tuple[EntitySpec, ...] = (),
) -> pd.DataFrame:
    """Numeric readings of the target and its features between two moments, in their units.

    Returns a frame indexed by UTC time with a ``target`` column and one column per feature
    (named by entity id), one row per reading of any of them (the others NaN there). The
    target's readings that are not numbers (``unavailable``, text, a unit that cannot be
    converted) are NaN; the features' are left out.

    Raises:
        HistoryReadTimeoutError: The recorder did not answer within ``READ_TIMEOUT``.
    """
    specs = (target, *features)
    states = await async_recorder_read(
        hass, _read_states, hass, [spec.entity_id for spec in specs], start, end
    )
    return await hass.async_add_executor_job(_as_frame, specs, states)


def _read_states(
    hass: HomeAssistant, entity_ids: list[str], start: datetime, end: datetime
) -> dict[str, list[State]]:
    states = get_significant_states(
        hass,
        start,
        end,
        entity_ids,
        include_start_time_state=True,
        significant_changes_only=False,
    )
    return {
        entity_id: [state for state in states.get(entity_id, []) if isinstance(state, State)]
        for entity_id in entity_ids
    }


def _as_frame(specs: tuple[EntitySpec, ...], states: dict[str, list[State]]) -> pd.DataFrame:
    import pandas as pd  # noqa: PLC0415 - executor only: never imported in the event loop

    columns = []
    for number, spec in enumerate(specs):
        times, values, _, _ = states_as_numbers(spec, states[spec.entity_id])
        # The target's states that are not numbers stay, as NaN: its anomaly detector must
        # not carry the last reading over an outage (ml.anomaly.readings).
        known = np.isfinite(values) if number else np.ones(len(values), dtype=bool)
        index = pd.DatetimeIndex(pd.to_datetime(times[known], unit="s", utc=True))
        name = "target" if number == 0 else spec.entity_id
        columns.append(pd.Series(values[known], index=index, name=name).groupby(level=0).mean())
    return pd.concat(columns, axis=1).sort_index()
