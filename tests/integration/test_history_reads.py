"""The recorder's states are read only where an entity's statistics end."""

from datetime import UTC, datetime, timedelta
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.history import get_significant_states
from homeassistant.core import HomeAssistant
import numpy as np
import pytest

from custom_components.foresight import history
from custom_components.foresight.history import EntitySpec, HistoryRequest, async_read_history

from .recorder_data import import_meter_statistics, write_states

BASE = datetime(2026, 5, 4, tzinfo=UTC)
HOUR = timedelta(hours=1)
METER = EntitySpec("sensor.house_energy", cumulative=True, decrease_is_reset=True, unit="kWh")
# A template sensor without a state class: it has states only, no statistics.
OCCUPANCY = EntitySpec("sensor.people_home")
ENERGY_ATTRS = {"unit_of_measurement": "kWh", "state_class": "total_increasing"}


async def test_a_feature_without_statistics_reads_only_its_own_states(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    # Statistics up to hour 22, then a reading every half hour.
    await import_meter_statistics(
        hass,
        METER.entity_id,
        [BASE + (i - 1) * HOUR for i in range(23)],
        100.0 + 0.5 * np.arange(23),
    )
    await write_states(
        hass, freezer, OCCUPANCY.entity_id, [(BASE - HOUR, "2", {}), (BASE + 12 * HOUR, "0", {})]
    )
    timeline = [
        (BASE + 22 * HOUR + timedelta(minutes=30 * i), f"{111.0 + 0.25 * i:.2f}", ENERGY_ATTRS)
        for i in range(5)
    ]
    await write_states(hass, freezer, METER.entity_id, timeline)
    request = HistoryRequest(target=METER, start=BASE, end=BASE + 24 * HOUR, features=(OCCUPANCY,))

    with patch.object(
        history, "get_significant_states", wraps=get_significant_states
    ) as read_states:
        result = await async_read_history(hass, request)

    starts = {
        entity_id: call.args[1] for call in read_states.call_args_list for entity_id in call.args[3]
    }
    # Each from its own start (a moment before it, for the state current then).
    assert BASE + 21 * HOUR < starts[METER.entity_id] <= BASE + 22 * HOUR
    assert BASE - HOUR < starts[OCCUPANCY.entity_id] <= BASE
    assert result.frame["target"].tolist() == pytest.approx([0.5] * 22 + [0.5, 0.5])
    assert result.frame[OCCUPANCY.entity_id].tolist() == [2.0] * 12 + [0.0] * 12
