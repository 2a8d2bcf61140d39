"""A removed entry leaves no saved state behind, not even a minute later."""

from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.foresight.const import DOMAIN

# Longer than the delay of the anomaly state's save.
PAST_THE_DELAY = timedelta(minutes=5)


def _key(entry: MockConfigEntry) -> str:
    return f"{DOMAIN}.{entry.entry_id}"


async def test_removed_entry_state_is_not_written_again(
    hass: HomeAssistant, init_integration: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    entry = init_integration
    # Each prediction refresh saves the anomaly state a minute later.
    await entry.runtime_data.predictions.async_refresh()
    assert _key(entry) in hass_storage

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert _key(entry) not in hass_storage

    async_fire_time_changed(hass, dt_util.utcnow() + PAST_THE_DELAY)
    await hass.async_block_till_done()
    assert _key(entry) not in hass_storage


async def test_unloading_writes_the_pending_state_at_once(
    hass: HomeAssistant, init_integration: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    entry = init_integration
    store = entry.runtime_data.store
    models = entry.runtime_data.training.data
    store.async_save_detector_later({"marker": "latest"}, {"fingerprint": models.fingerprint})
    assert hass_storage[_key(entry)]["data"]["detector"] != {"marker": "latest"}

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    assert hass_storage[_key(entry)]["data"]["detector"] == {"marker": "latest"}
