"""A sensor other than energy is judged on its readings, not on hourly means."""

from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.db_schema import RecorderRuns
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance, session_scope
import numpy as np
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.foresight.const import (
    CONF_ENGINE,
    CONF_FEATURE_ENTITIES,
    CONF_TARGET_ENTITY,
    DOMAIN,
)
from custom_components.foresight.ml.anomaly import judges_readings

from .conftest import NOW
from .home import FREEZER, FREEZER_ATTRIBUTES, OUTDOOR, OUTDOOR_ATTRIBUTES, import_freezer_hours

ANOMALY = "binary_sensor.freezer_anomaly"
FIVE_MINUTES = timedelta(minutes=5)
FREEZER_ONLY = ((FREEZER, FREEZER_ATTRIBUTES, -18.0),)


async def _write_readings(
    hass: HomeAssistant,
    start: datetime,
    end: datetime,
    rng: np.random.Generator,
    sensors: tuple[tuple[str, dict[str, str], float], ...] = (
        (FREEZER, FREEZER_ATTRIBUTES, -18.0),
    ),
) -> None:
    """Sensors holding their level (a freezer at -18 °C), read every five minutes."""
    moment = start
    while moment <= end:
        for entity_id, attributes, level in sensors:
            value = round(level + float(rng.normal(0, 0.1)), 2)
            hass.states.async_set(entity_id, str(value), attributes, timestamp=moment.timestamp())
        moment += FIVE_MINUTES
    await async_wait_recording_done(hass)


async def _set_up(hass: HomeAssistant, features: list[str]) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Freezer",
        unique_id=FREEZER,
        data={CONF_TARGET_ENTITY: FREEZER, CONF_FEATURE_ENTITIES: features},
        options={CONF_ENGINE: "numpy"},
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def _history_up_to_now(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    days_of_readings: int,
    sensors: tuple[tuple[str, dict[str, str], float], ...] = FREEZER_ONLY,
) -> None:
    """Three weeks of the freezer's hourly statistics, then readings up to now."""
    freezer.move_to(NOW)
    readings_from = NOW - timedelta(days=days_of_readings)
    await import_freezer_hours(hass, readings_from.replace(minute=0), np.random.default_rng(3))
    await _write_readings(hass, readings_from, NOW, np.random.default_rng(4), sensors)


@pytest.fixture
async def freezer_entry(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> MockConfigEntry:
    """Three weeks of hourly statistics, then three days of readings up to now: set up."""
    await _history_up_to_now(hass, freezer, 3)
    return await _set_up(hass, [])


async def _refresh_at(
    hass: HomeAssistant, entry: MockConfigEntry, freezer: FrozenDateTimeFactory, moment: datetime
) -> None:
    freezer.move_to(moment)
    await entry.runtime_data.predictions.async_refresh()
    await hass.async_block_till_done()


async def test_the_detector_learns_the_readings_at_their_pace(
    hass: HomeAssistant, freezer_entry: MockConfigEntry
) -> None:
    models = freezer_entry.runtime_data.training.data
    assert judges_readings(models.detector)
    assert models.detector.step == FIVE_MINUTES
    # The last bucket complete at training is where judging goes on from.
    assert NOW - 2 * FIVE_MINUTES < models.last_scored <= NOW - FIVE_MINUTES
    assert hass.states.get(ANOMALY).state == "off"


async def test_a_freezer_that_stops_reporting_is_stuck_within_hours(
    hass: HomeAssistant, freezer_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    # Its radio died: no new reading, and Home Assistant still shows the last one.
    for hours in range(1, 6):
        await _refresh_at(hass, freezer_entry, freezer, NOW + timedelta(hours=hours))

    state = hass.states.get(ANOMALY)
    assert state.state == "on"
    assert state.attributes["kind"] == "stuck"
    assert "unchanged" in state.attributes["explanation"]
    last = freezer_entry.runtime_data.training.data.last_scored
    assert last == NOW + timedelta(hours=5) - FIVE_MINUTES


async def test_a_feature_that_keeps_reporting_does_not_hide_a_stuck_freezer(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    both = (*FREEZER_ONLY, (OUTDOOR, OUTDOOR_ATTRIBUTES, 5.0))
    await _history_up_to_now(hass, freezer, 3, both)
    entry = await _set_up(hass, [OUTDOOR])
    assert judges_readings(entry.runtime_data.training.data.detector)

    # The freezer falls silent; the outdoor sensor goes on reporting every five minutes.
    outdoor = ((OUTDOOR, OUTDOOR_ATTRIBUTES, 5.0),)
    for hours in range(1, 6):
        moment = NOW + timedelta(hours=hours)
        start = moment - timedelta(minutes=55)
        await _write_readings(hass, start, moment, np.random.default_rng(hours), outdoor)
        await _refresh_at(hass, entry, freezer, moment)

    state = hass.states.get(ANOMALY)
    assert state.state == "on"
    assert state.attributes["kind"] == "stuck"


async def test_an_unavailable_freezer_is_not_stuck(
    hass: HomeAssistant, freezer_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(NOW + timedelta(minutes=1))
    hass.states.async_set(FREEZER, STATE_UNAVAILABLE, FREEZER_ATTRIBUTES)
    await async_wait_recording_done(hass)

    for hours in range(1, 6):
        await _refresh_at(hass, freezer_entry, freezer, NOW + timedelta(hours=hours))

    assert hass.states.get(ANOMALY).state == "off"


def _record_stop(hass: HomeAssistant, started: datetime, stopped: datetime) -> None:
    """A recorder run that ended: Home Assistant stopped then (recorder thread)."""
    with session_scope(hass=hass) as session:
        session.add(RecorderRuns(start=started, end=stopped, created=started))


@pytest.mark.parametrize(
    "off_for",
    [
        timedelta(hours=6),
        # Longer than the eight days of readings a refresh reads: they begin while it was off,
        # and the recorder dates the last state from before to that beginning.
        timedelta(days=9),
    ],
)
async def test_home_assistant_stopped_is_not_a_stuck_freezer(
    hass: HomeAssistant,
    freezer_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    off_for: timedelta,
) -> None:
    stopped = NOW + timedelta(minutes=30)
    await _write_readings(hass, NOW + FIVE_MINUTES, stopped, np.random.default_rng(5))
    await get_instance(hass).async_add_executor_job(_record_stop, hass, NOW, stopped)
    # Nothing is recorded while Home Assistant is off; the freezer reads again after it starts.
    restarted = stopped + off_for
    later = restarted + timedelta(hours=1)
    await _write_readings(hass, restarted, later, np.random.default_rng(6))

    await _refresh_at(hass, freezer_entry, freezer, later)

    assert hass.states.get(ANOMALY).state == "off"
    assert freezer_entry.runtime_data.training.data.last_scored == later - FIVE_MINUTES


async def test_an_absurd_reading_raises_the_alarm_at_the_next_refresh(
    hass: HomeAssistant, freezer_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    later = NOW + timedelta(minutes=40)
    await _write_readings(hass, NOW + FIVE_MINUTES, later, np.random.default_rng(5))
    freezer.move_to(later + timedelta(minutes=1))
    hass.states.async_set(FREEZER, "25.0", FREEZER_ATTRIBUTES)
    await async_wait_recording_done(hass)
    freezer.move_to(later + timedelta(minutes=3))
    hass.states.async_set(FREEZER, "-18.02", FREEZER_ATTRIBUTES)
    await async_wait_recording_done(hass)

    # Hourly means would show it when the hour ends; the bucket shows it when it ends.
    await _refresh_at(hass, freezer_entry, freezer, later + timedelta(minutes=5))

    state = hass.states.get(ANOMALY)
    assert state.state == "on"
    assert state.attributes["kind"] in {"out_of_range", "jump", "deviation"}


async def test_a_restart_goes_on_judging_readings(
    hass: HomeAssistant, freezer_entry: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
    before = freezer_entry.runtime_data.training.data

    assert await hass.config_entries.async_reload(freezer_entry.entry_id)
    await hass.async_block_till_done()

    restored = freezer_entry.runtime_data.training.data
    assert restored is not before
    assert restored.trained_at == before.trained_at  # restored from the store, not retrained
    assert judges_readings(restored.detector)
    assert restored.last_scored == before.last_scored
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, freezer_entry)
    assert diagnostics["anomaly"]["judged_every_minutes"] == 5


async def test_with_a_day_of_readings_the_hourly_values_are_judged(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await _history_up_to_now(hass, freezer, 1)

    entry = await _set_up(hass, [])

    models = entry.runtime_data.training.data
    assert not judges_readings(models.detector)
    assert models.detector.step == timedelta(hours=1)
    assert models.last_scored == NOW.replace(minute=0) - timedelta(hours=1)
