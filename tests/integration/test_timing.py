"""Coordinators own the timing: a daily retrain, hourly predictions, prompt anomaly scoring."""

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from .home import METER_ATTRIBUTES, TARGET


async def test_daily_retraining_at_the_configured_time(
    hass: HomeAssistant, init_integration: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    training = init_integration.runtime_data.training
    first = training.data
    # The default retrain time is 03:17 local; the test instance is on US/Pacific (UTC-8).
    freezer.move_to("2026-03-02T11:17:00+00:00")
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert training.data is not first
    assert training.data is not None
    assert training.data.trained_at.isoformat() == "2026-03-02T11:17:00+00:00"


async def test_new_readings_refresh_predictions_after_a_cooldown(
    hass: HomeAssistant, init_integration: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    predictions = init_integration.runtime_data.predictions
    issued = predictions.data.issued_at
    for step in range(3):
        freezer.tick(timedelta(seconds=10))
        hass.states.async_set(TARGET, f"{2000 + step}", METER_ATTRIBUTES)
        await hass.async_block_till_done()
    assert predictions.data.issued_at == issued  # a burst of readings waits for the cooldown
    freezer.tick(timedelta(seconds=61))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert predictions.data.issued_at > issued


async def test_hourly_predictions(
    hass: HomeAssistant, init_integration: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    predictions = init_integration.runtime_data.predictions
    issued = predictions.data.issued_at
    freezer.tick(timedelta(hours=1, minutes=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert predictions.data.issued_at > issued
    assert predictions.data.hours[0]["timestamp"] == "2026-03-02T02:00:00+00:00"
