"""A synthetic home in the test recorder: an energy meter and an outdoor temperature sensor."""

from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import numpy as np
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.foresight.const import (
    CONF_CALENDAR_ENTITY,
    CONF_ENGINE,
    CONF_FEATURE_ENTITIES,
    CONF_TARGET_ENTITY,
    CONF_WEATHER_ENTITY,
    DOMAIN,
)
from custom_components.foresight.ml.synthetic import synthetic_home

from .recorder_data import import_mean_statistics, import_meter_statistics

TARGET = "sensor.house_energy"
OUTDOOR = "sensor.outdoor_temperature"
METER_ATTRIBUTES = {
    "unit_of_measurement": "kWh",
    "device_class": "energy",
    "state_class": "total_increasing",
    "friendly_name": "House energy",
}
OUTDOOR_ATTRIBUTES = {
    "unit_of_measurement": "°C",
    "device_class": "temperature",
    "state_class": "measurement",
    "friendly_name": "Outdoor temperature",
}

ANOMALY = "binary_sensor.house_energy_anomaly"

FREEZER = "sensor.freezer_temperature"
FREEZER_ATTRIBUTES = {
    "unit_of_measurement": "°C",
    "device_class": "temperature",
    "state_class": "measurement",
    "friendly_name": "Freezer temperature",
}


async def seed_home(hass: HomeAssistant, end: datetime, days: int, *, seed: int = 3) -> None:
    """Import ``days`` of hourly statistics ending at ``end``, and set the current states."""
    start = end - timedelta(days=days)
    frame = synthetic_home(days + 1, start=str(start.date()), seed=seed, gap_fraction=0.0)
    frame = frame[(frame.index >= start - timedelta(hours=1)) & (frame.index < end)]
    starts = [moment.to_pydatetime() for moment in frame.index]
    sums = 1000.0 + np.cumsum(frame["target"].to_numpy())
    await import_meter_statistics(hass, TARGET, starts, sums)
    await import_mean_statistics(
        hass,
        OUTDOOR,
        starts,
        frame["outdoor_temp"].to_numpy(),
        unit="°C",
        unit_class="temperature",
    )
    hass.states.async_set(TARGET, f"{sums[-1]:.3f}", METER_ATTRIBUTES)
    hass.states.async_set(OUTDOOR, f"{frame['outdoor_temp'].iloc[-1]:.1f}", OUTDOOR_ATTRIBUTES)
    await async_wait_recording_done(hass)


async def import_freezer_hours(
    hass: HomeAssistant, end: datetime, rng: np.random.Generator
) -> None:
    """Three weeks of the freezer's hourly statistics before ``end``: -18 °C and a little noise."""
    starts = [end - timedelta(hours=hours) for hours in range(21 * 24, 0, -1)]
    await import_mean_statistics(
        hass,
        FREEZER,
        starts,
        -18.0 + rng.normal(0, 0.1, len(starts)),
        unit="°C",
        unit_class="temperature",
    )


async def setup_entry_with_sources(
    hass: HomeAssistant, *, weather: str, calendar: str
) -> MockConfigEntry:
    """Set up an entry for the meter, explained by the outdoor temperature, with both sources."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=TARGET,
        data={
            CONF_TARGET_ENTITY: TARGET,
            CONF_FEATURE_ENTITIES: [OUTDOOR],
            CONF_WEATHER_ENTITY: weather,
            CONF_CALENDAR_ENTITY: calendar,
        },
        options={CONF_ENGINE: "numpy"},
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def restart_without_state(
    hass: HomeAssistant, entry: MockConfigEntry, entity_id: str
) -> None:
    """Set the entry up again while ``entity_id`` has no state, as early in a start-up."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    hass.states.async_remove(entity_id)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def raise_energy_alarm(
    hass: HomeAssistant, entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Six hours at 6 kWh an hour from now, three times the home's usual peak: an alarm."""
    start = dt_util.utcnow()
    reading = float(hass.states.get(TARGET).state)
    moment = start + timedelta(minutes=15)
    while moment <= start + timedelta(hours=6):
        reading += 1.5
        hass.states.async_set(
            TARGET, f"{reading:.3f}", METER_ATTRIBUTES, timestamp=moment.timestamp()
        )
        moment += timedelta(minutes=15)
    await async_wait_recording_done(hass)
    freezer.move_to(start + timedelta(hours=6))
    await entry.runtime_data.predictions.async_refresh()
    assert hass.states.get(ANOMALY).state == "on"
