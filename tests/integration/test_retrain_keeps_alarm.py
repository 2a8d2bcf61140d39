"""A retrain refits the detector, but an alarm that is on stays on, with its start."""

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.foresight.const import CONF_RETRAIN_TIME, DOMAIN

from .home import ANOMALY, raise_energy_alarm


async def _alarm_before_retraining(
    hass: HomeAssistant, entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> tuple[Any, str]:
    """The models an alarm was raised with, and when that alarm started."""
    await raise_energy_alarm(hass, entry, freezer)
    since = hass.states.get(ANOMALY).attributes["since"]
    assert since is not None
    return entry.runtime_data.training.data, since


async def _assert_alarm_kept(
    hass: HomeAssistant, entry: MockConfigEntry, before: Any, since: str
) -> None:
    await hass.async_block_till_done(wait_background_tasks=True)
    runtime = entry.runtime_data
    assert runtime.training.data is not before
    # The entity shows what the retrained models say, not the verdict from before.
    assert runtime.predictions.data.anomaly is runtime.training.data.last_anomaly
    state = hass.states.get(ANOMALY)
    assert state.state == "on"
    assert state.attributes["since"] == since


async def test_alarm_stays_on_through_the_retrain_action(
    hass: HomeAssistant, init_integration: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    before, since = await _alarm_before_retraining(hass, init_integration, freezer)

    await hass.services.async_call(
        DOMAIN, "retrain", {"config_entry_id": init_integration.entry_id}, blocking=True
    )

    await _assert_alarm_kept(hass, init_integration, before, since)


async def test_alarm_stays_on_through_the_daily_retrain(
    hass: HomeAssistant,
    home: None,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    # The alarm is on at 22:30 local (US/Pacific), and the entry retrains daily at 22:47.
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={**mock_config_entry.options, CONF_RETRAIN_TIME: "22:47:00"}
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    before, since = await _alarm_before_retraining(hass, mock_config_entry, freezer)

    freezer.move_to("2026-03-02T06:47:00+00:00")
    async_fire_time_changed(hass)

    await _assert_alarm_kept(hass, mock_config_entry, before, since)


async def test_a_replacing_detector_keeps_the_alarm_on(
    hass: HomeAssistant, init_integration: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    before, since = await _alarm_before_retraining(hass, init_integration, freezer)
    in_use = before.detector
    in_use.history_hours /= 10  # as if fitted when the history was young

    await hass.services.async_call(
        DOMAIN, "retrain", {"config_entry_id": init_integration.entry_id}, blocking=True
    )

    await _assert_alarm_kept(hass, init_integration, before, since)
    replaced = init_integration.runtime_data.training.data.detector
    assert replaced is not in_use
    assert replaced.history_hours > in_use.history_hours
    assert replaced.is_anomaly  # the new detector itself goes on with the alarm
