"""The target's unit changes after training: the models keep working in the unit they learnt."""

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.foresight.const import CONF_SENSITIVITY, DOMAIN

from .conftest import NOW
from .home import METER_ATTRIBUTES, OUTDOOR, OUTDOOR_ATTRIBUTES, TARGET
from .recorder_data import write_states

NEXT_HOUR = "sensor.house_energy_forecast_next_hour"
IN_WH = {**METER_ATTRIBUTES, "unit_of_measurement": "Wh"}


@pytest.fixture
def mock_config_entry(mock_config_entry: MockConfigEntry) -> MockConfigEntry:
    """The default entry, at low sensitivity.

    The synthetic home's base load is close to the usual alarm threshold on its last day.
    """
    return MockConfigEntry(
        domain=DOMAIN,
        title=mock_config_entry.title,
        unique_id=mock_config_entry.unique_id,
        data=mock_config_entry.data,
        options={**mock_config_entry.options, CONF_SENSITIVITY: "low"},
    )


def _meter_kwh(hass: HomeAssistant) -> float:
    state = hass.states.get(TARGET)
    assert state is not None
    return float(state.state)


async def test_forecasts_stay_in_the_unit_the_models_learnt(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    predictions = init_integration.runtime_data.predictions
    before = [hour["p50"] for hour in predictions.data.hours]
    shown = hass.states.get(NEXT_HOUR)
    assert shown is not None
    assert shown.attributes["unit_of_measurement"] == "kWh"

    # The user shows the meter in Wh: the same energy, a thousand times the number.
    hass.states.async_set(TARGET, f"{_meter_kwh(hass) * 1000:.0f}", IN_WH)
    await predictions.async_refresh()
    await hass.async_block_till_done()

    assert [hour["p50"] for hour in predictions.data.hours] == pytest.approx(before)
    state = hass.states.get(NEXT_HOUR)
    assert state is not None
    assert state.state == shown.state
    assert state.attributes["unit_of_measurement"] == "kWh"


async def test_readings_in_a_new_unit_raise_no_false_alarm(
    hass: HomeAssistant, init_integration: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    predictions = init_integration.runtime_data.predictions
    assert predictions.data.anomaly is not None
    assert not predictions.data.anomaly.is_anomaly
    next_hour = NOW.replace(minute=0) + timedelta(hours=1)
    usual = next(
        hour["p50"] for hour in predictions.data.hours if hour["timestamp"] == next_hour.isoformat()
    )
    # The next hour uses what the forecast expected, reported in Wh from now on.
    total = _meter_kwh(hass)
    timeline = []
    for quarter in range(1, 7):
        total += usual / 4
        timeline.append((NOW + quarter * timedelta(minutes=15), f"{total * 1000:.0f}", IN_WH))
    await write_states(hass, freezer, TARGET, timeline)
    freezer.move_to(next_hour + timedelta(hours=1, minutes=5))

    await predictions.async_refresh()
    await hass.async_block_till_done()

    assert init_integration.runtime_data.training.data.last_scored == next_hour
    anomaly = predictions.data.anomaly
    assert anomaly is not None
    assert anomaly.score is not None
    assert not anomaly.is_anomaly
    assert max(hour["p50"] for hour in predictions.data.hours) < 20


async def test_a_unit_of_another_kind_retrains(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    runtime = init_integration.runtime_data
    trained = runtime.training.data
    assert trained.quality.unit == "kWh"

    # Cubic metres cannot be read as kilowatt-hours: the models are of no use any more.
    hass.states.async_set(TARGET, "12.5", {**METER_ATTRIBUTES, "unit_of_measurement": "m³"})
    await runtime.predictions.async_refresh()
    assert runtime.predictions.data.hours == []
    assert runtime.predictions.data.anomaly is None
    await hass.async_block_till_done()

    retrained = runtime.training.data
    assert retrained is not trained
    assert retrained.quality.unit == "m³"
    # The meter's statistics are in kWh: no hour of them may be learnt as cubic metres.
    assert retrained.quality.hours_with_data == 0
    assert retrained.forecaster is None


async def test_a_feature_shown_in_another_unit_is_read_in_the_learnt_one(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    predictions = init_integration.runtime_data.predictions
    models = init_integration.runtime_data.training.data
    assert models.feature_units == {OUTDOOR: "°C"}
    before = [hour["p50"] for hour in predictions.data.hours]

    # The outdoor sensor is shown in °F from now on: the same temperature, another number.
    state = hass.states.get(OUTDOOR)
    assert state is not None
    fahrenheit = float(state.state) * 9 / 5 + 32
    hass.states.async_set(
        OUTDOOR, f"{fahrenheit:.2f}", {**OUTDOOR_ATTRIBUTES, "unit_of_measurement": "°F"}
    )
    await predictions.async_refresh()
    await hass.async_block_till_done()

    assert [hour["p50"] for hour in predictions.data.hours] == pytest.approx(before, abs=1e-3)


async def test_learnt_feature_units_survive_a_restart(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    restored = init_integration.runtime_data.training.data
    assert restored.feature_units == {OUTDOOR: "°C"}
