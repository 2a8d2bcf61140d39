"""Bad history that the other tests do not cover: each ends in a clear state, never a crash.

(Non-numeric and unavailable states, unit changes, resets, spikes and DST are in
test_history.py; deleted entities and invalid options in test_repairs.py and test_faults.py.)
"""

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.recorder import get_instance
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.foresight import repairs
from custom_components.foresight.const import CONF_ENGINE, CONF_TRAINING_DAYS, DOMAIN

from .conftest import NOW
from .home import OUTDOOR, TARGET, seed_home


async def test_a_year_without_data_then_data_again(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, mock_config_entry: MockConfigEntry
) -> None:
    freezer.move_to(NOW)
    # Two months of history, then a year of nothing (a dead meter), then five weeks.
    await seed_home(hass, NOW.replace(minute=0) - timedelta(days=400), days=60, seed=5)
    await seed_home(hass, NOW.replace(minute=0), days=35)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="House energy",
        unique_id=TARGET,
        data=dict(mock_config_entry.data),
        options={CONF_ENGINE: "numpy", CONF_TRAINING_DAYS: 730},
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    quality = entry.runtime_data.training.data.quality
    # Both stretches are learnt from; the year between is a gap, not zeros or one huge hour.
    assert 94 * 24 <= quality.hours_with_data <= 95 * 24
    assert quality.excluded_hours == {}
    assert float(hass.states.get("sensor.house_energy_forecast_next_hour").state) > 0
    assert not ir.async_get(hass).issues


async def test_an_entity_the_recorder_excludes_gets_a_repair(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    recorder = get_instance(hass)
    issue_id = f"{repairs.NOT_RECORDED}_{init_integration.entry_id}_{OUTDOOR}"
    registry = ir.async_get(hass)
    assert registry.async_get_issue(DOMAIN, issue_id) is None

    recorder.entity_filter = lambda entity_id: entity_id != OUTDOOR
    predictions = init_integration.runtime_data.predictions
    await predictions.async_refresh()
    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders["entity_id"] == OUTDOOR
    # The entry keeps forecasting from what it has.
    assert predictions.last_update_success

    recorder.entity_filter = None
    await predictions.async_refresh()
    assert registry.async_get_issue(DOMAIN, issue_id) is None


async def test_a_meter_silent_for_weeks_gets_a_repair_not_a_weak_model_notice(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, mock_config_entry: MockConfigEntry
) -> None:
    freezer.move_to(NOW)
    # Two months of history that ended five weeks ago: the meter has gone silent since.
    silent_since = NOW.replace(minute=0) - timedelta(days=35)
    await seed_home(hass, silent_since, days=60, seed=6)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.LOADED
    registry = ir.async_get(hass)
    issue = registry.async_get_issue(
        DOMAIN, f"{repairs.NO_RECENT_DATA}_{mock_config_entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders["entity_id"] == TARGET
    # The last hour with data began an hour before the silence: 15:00 on the 25th at home.
    assert issue.translation_placeholders["last_data"] == "2026-01-25"
    # A model that had nothing recent to be judged on is not "weaker than a simple rule".
    serving = f"{repairs.SERVING_BASELINE}_{mock_config_entry.entry_id}"
    assert registry.async_get_issue(DOMAIN, serving) is None
    # No stand-in forecast from empty recent days, and no skill where nothing was judged.
    for sensor in ("forecast_next_hour", "forecast_tomorrow", "forecast_skill"):
        assert hass.states.get(f"sensor.house_energy_{sensor}").state == "unknown"

    # Data again: the next training clears the notice.
    await seed_home(hass, NOW.replace(minute=0), days=34, seed=6)
    await hass.services.async_call(
        DOMAIN, "retrain", {"config_entry_id": mock_config_entry.entry_id}, blocking=True
    )
    assert (
        registry.async_get_issue(DOMAIN, f"{repairs.NO_RECENT_DATA}_{mock_config_entry.entry_id}")
        is None
    )
