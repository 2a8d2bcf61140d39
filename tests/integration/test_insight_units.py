"""The base load is in watts whatever the unit of the energy meter or power sensor."""

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import numpy as np
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.foresight import coordinator
from custom_components.foresight.const import (
    CONF_ENGINE,
    CONF_FEATURE_ENTITIES,
    CONF_TARGET_ENTITY,
    DOMAIN,
)
from custom_components.foresight.ml.quality import DataQuality
from custom_components.foresight.ml.synthetic import synthetic_home
from custom_components.foresight.training import FitSettings, Models, fit_models

from .conftest import NOW
from .home import OUTDOOR, restart_without_state
from .recorder_data import import_mean_statistics, import_meter_statistics

DAYS = 35
COMPARED = ("base_load_w", "base_load_month_ago_w", "kwh_per_heating_degree_day")


async def _seed_same_energy(hass: HomeAssistant, entity_id: str, unit: str) -> None:
    """The energy of the default home (``home`` fixture) as ``entity_id`` in ``unit``."""
    end = NOW.replace(minute=0)
    start = end - timedelta(days=DAYS)
    frame = synthetic_home(DAYS + 1, start=str(start.date()), seed=3, gap_fraction=0.0)
    frame = frame[(frame.index >= start - timedelta(hours=1)) & (frame.index < end)]
    starts = [moment.to_pydatetime() for moment in frame.index]
    kwh = frame["target"].to_numpy()
    if unit == "W":  # a power sensor: the hour's mean power
        await import_mean_statistics(
            hass, entity_id, starts, kwh * 1000.0, unit=unit, unit_class="power"
        )
        state = f"{kwh[-1] * 1000.0:.1f}"
        attributes = {"device_class": "power", "state_class": "measurement"}
    else:  # a meter: the total so far
        sums = (1000.0 + np.cumsum(kwh)) * (1000.0 if unit == "Wh" else 1.0)
        unit_class = "energy" if unit == "Wh" else "volume"
        await import_meter_statistics(
            hass, entity_id, starts, sums, unit=unit, unit_class=unit_class
        )
        state = f"{sums[-1]:.3f}"
        attributes = {
            "device_class": "energy" if unit == "Wh" else "gas",
            "state_class": "total_increasing",
        }
    hass.states.async_set(entity_id, state, {"unit_of_measurement": unit, **attributes})
    await async_wait_recording_done(hass)


async def _setup(hass: HomeAssistant, entity_id: str) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=entity_id,
        unique_id=entity_id,
        data={CONF_TARGET_ENTITY: entity_id, CONF_FEATURE_ENTITIES: [OUTDOOR]},
        options={CONF_ENGINE: "numpy"},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def _base_load(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry.entry_id}_base_load"
    )
    return hass.states.get(entity_id) if entity_id else None


@pytest.mark.parametrize(
    ("entity_id", "unit"), [("sensor.house_power", "W"), ("sensor.house_energy_wh", "Wh")]
)
async def test_base_load_is_in_watts_in_any_unit(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_id: str,
    unit: str,
) -> None:
    """The same energy in W or Wh gives the base load of the kWh meter, not 1000 times it."""
    await _seed_same_energy(hass, entity_id, unit)
    entry = await _setup(hass, entity_id)

    in_kwh = init_integration.runtime_data.training.data.insight
    insight = entry.runtime_data.training.data.insight
    assert in_kwh["base_load_w"] is not None
    for key in COMPARED:
        assert insight[key] == pytest.approx(in_kwh[key], rel=1e-3), key
    state = _base_load(hass, entry)
    assert float(state.state) == pytest.approx(float(_base_load(hass, init_integration).state))


async def test_gas_meter_has_no_base_load_in_watts(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Cubic metres of gas are not electricity: no insight rather than a wrong one."""
    await _seed_same_energy(hass, "sensor.house_gas", "m³")
    entry = await _setup(hass, "sensor.house_gas")

    models = entry.runtime_data.training.data
    assert models.forecaster is not None
    assert models.insight is None
    # Nor a Base load sensor that could only ever be unknown; the daily totals stay.
    assert _base_load(hass, entry) is None
    registry = er.async_get(hass)
    assert registry.async_get_entity_id("sensor", DOMAIN, f"{entry.entry_id}_forecast_tomorrow")
    state = _base_load(hass, entry)
    assert state is None or state.state == "unknown"


def _fit(unit: str, *, days: int = 15, energy: bool = True) -> Models:
    """``fit_models`` on ``days`` of the synthetic home in watts, with this unit."""
    frame = synthetic_home(days, start="2026-01-01", seed=3, gap_fraction=0.0)[["target"]]
    frame["target"] *= 1000.0
    frame["excluded"] = False
    hours = len(frame)
    quality = DataQuality(hours, hours, hours, None, None, {}, "statistics", unit=unit)
    settings = FitSettings(
        time_zone="Europe/Berlin",
        country=None,
        engine="numpy",
        horizon_hours=24,
        feature_columns=(),
        sensitivity="medium",
        energy_like=energy,
        unit=unit,
    )
    return fit_models(frame, quality, settings)


async def _named_base_load(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, entity_id: str
) -> tuple[MockConfigEntry, Any]:
    """An entry for a Wh meter whose Base load the user has named; the state it shows."""
    await _seed_same_energy(hass, entity_id, "Wh")
    entry = await _setup(hass, entity_id)
    shown = _base_load(hass, entry)
    entity_registry.async_update_entity(shown.entity_id, name="My base load")
    return entry, shown


def _assert_kept(entity_registry: er.EntityRegistry, shown: Any) -> None:
    registered = entity_registry.async_get(shown.entity_id)
    assert registered is not None
    assert registered.name == "My base load"


async def test_a_start_up_retrain_takes_the_unit_the_history_was_read_in(
    hass: HomeAssistant, home: None, entity_registry: er.EntityRegistry
) -> None:
    entry, shown = await _named_base_load(hass, entity_registry, "sensor.house_energy_wh")
    insight = entry.runtime_data.training.data.insight
    # An unreadable model is retrained at the next start.
    model = Path(hass.config.path(".storage", "foresight", f"{entry.entry_id}.model"))
    await hass.async_add_executor_job(model.write_bytes, b"\x80\x04not a model at all")

    seen: list[FitSettings] = []
    real = coordinator.fit_models

    # A plain function, not a Mock: the test harness runs Mocks inline, not in the executor.
    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(args[2])
        return real(*args, **kwargs)

    with patch.object(coordinator, "fit_models", recording):
        await restart_without_state(hass, entry, "sensor.house_energy_wh")

    # No state told the unit; the statistics did.
    assert [settings.unit for settings in seen] == [""]
    models = entry.runtime_data.training.data
    assert models.quality.unit == "Wh"
    for key in COMPARED:
        assert models.insight[key] == pytest.approx(insight[key]), key
    _assert_kept(entity_registry, shown)
    state = hass.states.get(shown.entity_id)
    assert state is not None
    assert float(state.state) == pytest.approx(float(shown.state))


async def test_models_of_an_unknown_unit_keep_the_base_load(
    hass: HomeAssistant, home: None, entity_registry: er.EntityRegistry
) -> None:
    """Models saved without the unit of their history (an earlier version's start-up retrain)."""
    entry, shown = await _named_base_load(hass, entity_registry, "sensor.house_energy_wh")
    real = coordinator.restore_models

    def without_unit(*args: Any) -> Models | None:
        models = real(*args)
        assert models is not None
        models.quality = replace(models.quality, unit=None)
        return models

    with patch.object(coordinator, "restore_models", without_unit):
        await restart_without_state(hass, entry, "sensor.house_energy_wh")

    assert entry.runtime_data.training.data.quality.unit is None
    # Whether there is a base load in watts is not known: the user's entity stays.
    _assert_kept(entity_registry, shown)


def test_too_little_history_keeps_what_the_target_measures() -> None:
    models = _fit("°C", days=7, energy=False)
    assert models.hours_needed is not None  # too short to train
    assert models.energy_like is False
