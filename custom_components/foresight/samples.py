"""Read a sensor's readings at their own pace, for the forecasts of non-energy sensors.

The hourly history (``history.py``) suits energy; a freezer or a battery needs its readings
as they came. States are kept by the recorder for ten days by default, so this reads what
is left; training falls back to the hourly history where it is too little.
"""

from datetime import datetime
from typing import TYPE_CHECKING

from homeassistant.components.recorder.history import get_significant_states
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers.recorder import get_instance
import numpy as np

from .history import EntitySpec, states_as_numbers

if TYPE_CHECKING:
    import pandas as pd


async def async_read_samples(
    hass: HomeAssistant, spec: EntitySpec, start: datetime, end: datetime
) -> pd.DataFrame:
    """Numeric readings of one entity between two moments, in its current unit.

    Returns a frame indexed by UTC time with a ``target`` column; readings that are not
    numbers (``unavailable``, text) or are in a unit that cannot be converted are left out.
    """
    states = await get_instance(hass).async_add_executor_job(
        _read_states, hass, spec.entity_id, start, end
    )
    return await hass.async_add_executor_job(_as_frame, spec, states)


def _read_states(
    hass: HomeAssistant, entity_id: str, start: datetime, end: datetime
) -> list[State]:
    states = get_significant_states(
        hass,
        start,
        end,
        [entity_id],
        include_start_time_state=True,
        significant_changes_only=False,
    )
    return [state for state in states.get(entity_id, []) if isinstance(state, State)]


def _as_frame(spec: EntitySpec, states: list[State]) -> pd.DataFrame:
    import pandas as pd  # noqa: PLC0415 - executor only: never imported in the event loop

    times, values, _, _ = states_as_numbers(spec, states)
    known = np.isfinite(values)
    index = pd.to_datetime(times[known], unit="s", utc=True)
    return pd.DataFrame({"target": values[known]}, index=pd.DatetimeIndex(index))
