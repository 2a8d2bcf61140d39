"""A start-up before the target reports: entities and training follow what is known of it."""

from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.recorder import get_instance
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.foresight import coordinator
from custom_components.foresight.const import CONF_ENGINE, CONF_TARGET_ENTITY, DOMAIN
from custom_components.foresight.training import FitSettings

from .home import METER_ATTRIBUTES, OUTDOOR, TARGET, restart_without_state

DAILY_FORECASTS = ("forecast_today_remaining", "forecast_tomorrow")


def _daily_forecast_ids(
    entity_registry: er.EntityRegistry, entry: MockConfigEntry
) -> list[str | None]:
    return [
        entity_registry.async_get_entity_id(Platform.SENSOR, DOMAIN, f"{entry.entry_id}_{key}")
        for key in DAILY_FORECASTS
    ]


async def _customise_daily_forecasts(
    entity_registry: er.EntityRegistry, entry: MockConfigEntry
) -> list[str]:
    """Rename both, as a user does; a removal from the registry would lose that."""
    renamed = []
    for key, entity_id in zip(
        DAILY_FORECASTS, _daily_forecast_ids(entity_registry, entry), strict=True
    ):
        assert entity_id is not None
        entity_registry.async_update_entity(
            entity_id, name=f"My {key}", new_entity_id=f"sensor.my_{key}"
        )
        renamed.append(f"sensor.my_{key}")
    return renamed


async def test_meter_without_state_at_start_keeps_its_daily_forecasts(
    hass: HomeAssistant, init_integration: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    entry = init_integration
    renamed = await _customise_daily_forecasts(entity_registry, entry)

    await restart_without_state(hass, entry, TARGET)

    # The meter's statistics tell what its state does not tell yet.
    assert _daily_forecast_ids(entity_registry, entry) == renamed
    for key, entity_id in zip(DAILY_FORECASTS, renamed, strict=True):
        registered = entity_registry.async_get(entity_id)
        assert registered is not None
        assert registered.name == f"My {key}"
        assert hass.states.get(entity_id) is not None

    hass.states.async_set(TARGET, "2000.0", METER_ATTRIBUTES)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert _daily_forecast_ids(entity_registry, entry) == renamed


async def test_target_nothing_is_known_of_keeps_its_daily_forecasts_registered(
    hass: HomeAssistant, init_integration: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    entry = init_integration
    renamed = await _customise_daily_forecasts(entity_registry, entry)
    # No statistics either: nothing tells yet whether the target is a meter.
    get_instance(hass).async_clear_statistics([TARGET])
    await async_wait_recording_done(hass)

    await restart_without_state(hass, entry, TARGET)

    assert _daily_forecast_ids(entity_registry, entry) == renamed

    # Once the meter reports, the next set-up brings them back as the user left them.
    hass.states.async_set(TARGET, "2000.0", METER_ATTRIBUTES)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert _daily_forecast_ids(entity_registry, entry) == renamed
    for entity_id in renamed:
        assert hass.states.get(entity_id) is not None


def _recording_fits(seen: list[FitSettings]) -> Any:
    real = coordinator.fit_models

    # A plain function, not a Mock: the test harness runs Mocks inline instead of in the executor.
    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(args[2])
        return real(*args, **kwargs)

    return patch.object(coordinator, "fit_models", recording)


def _temperature_entry() -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Outdoor temperature",
        unique_id=OUTDOOR,
        data={CONF_TARGET_ENTITY: OUTDOOR},
        options={CONF_ENGINE: "numpy"},
    )


async def test_temperature_retrained_before_it_reports_is_not_taken_for_energy(
    hass: HomeAssistant, home: None, entity_registry: er.EntityRegistry
) -> None:
    entry = _temperature_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.training.data.energy_like is False
    # An unreadable model is retrained at the next start; what the training found is not lost.
    model = Path(hass.config.path(".storage", "foresight", f"{entry.entry_id}.model"))
    await hass.async_add_executor_job(model.write_bytes, b"\x80\x04not a model at all")

    seen: list[FitSettings] = []
    with _recording_fits(seen):
        await restart_without_state(hass, entry, OUTDOOR)

    assert [settings.energy_like for settings in seen] == [False]
    assert entry.runtime_data.training.data.energy_like is False
    base_load = f"{entry.entry_id}_base_load"
    assert entity_registry.async_get_entity_id(Platform.SENSOR, DOMAIN, base_load) is None


async def test_registered_temperature_without_state_is_not_trained_as_energy(
    hass: HomeAssistant, home: None, entity_registry: er.EntityRegistry
) -> None:
    hass.states.async_remove(OUTDOOR)
    # The registry keeps what the sensor is between restarts.
    entity_registry.async_get_or_create(
        Platform.SENSOR,
        "demo",
        "outdoor",
        suggested_object_id="outdoor_temperature",
        original_device_class="temperature",
    )
    entry = _temperature_entry()
    entry.add_to_hass(hass)

    seen: list[FitSettings] = []
    with _recording_fits(seen):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()

    assert [settings.energy_like for settings in seen] == [False]
