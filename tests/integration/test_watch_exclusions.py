"""Periods to ignore apply to the sensor forecaster that learns from the raw readings."""

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import numpy as np
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.foresight.const import (
    CONF_ENGINE,
    CONF_EXCLUDED_PERIODS,
    CONF_TARGET_ENTITY,
    DOMAIN,
)

from .conftest import NOW
from .home import FREEZER, FREEZER_ATTRIBUTES, import_freezer_hours

# The freezer was emptied and switched off for four hours the day before yesterday.
DEFROST_START = NOW.replace(minute=0) - timedelta(days=2, hours=10)
DEFROST_END = DEFROST_START + timedelta(hours=4)


async def _freezer_history(hass: HomeAssistant) -> None:
    """Three weeks of hourly statistics, then three days of readings every five minutes."""
    rng = np.random.default_rng(5)
    readings_start = NOW - timedelta(days=3)
    await import_freezer_hours(hass, readings_start.replace(minute=0), rng)
    moment = readings_start
    while moment <= NOW:
        value = 5.0 if DEFROST_START <= moment < DEFROST_END else -18.0
        hass.states.async_set(
            FREEZER,
            f"{value + rng.normal(0, 0.05):.2f}",
            FREEZER_ATTRIBUTES,
            timestamp=moment.timestamp(),
        )
        moment += timedelta(minutes=5)
    await async_wait_recording_done(hass)


async def test_an_ignored_period_is_not_learnt_from_the_readings(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(NOW)
    await _freezer_history(hass)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Freezer",
        unique_id=FREEZER,
        data={CONF_TARGET_ENTITY: FREEZER},
        options={
            CONF_ENGINE: "numpy",
            CONF_EXCLUDED_PERIODS: [
                {"start": DEFROST_START.isoformat(), "end": DEFROST_END.isoformat()}
            ],
        },
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    watch = entry.runtime_data.training.data.watch
    assert watch is not None
    # Trained on the readings, not on the hourly history.
    assert watch.step == timedelta(minutes=5)
    # Learnt from the defrost, the daily pattern would warm by several degrees at its time.
    assert np.abs(watch.profile.values).max() < 0.5
