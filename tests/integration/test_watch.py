"""A sensor other than energy: forecast at its own pace, and warned before it crosses a limit."""

from datetime import datetime, timedelta
import logging
from pathlib import Path
import threading
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import persistent_notification
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.setup import async_setup_component
import numpy as np
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
import yaml

from custom_components.foresight import history, samples
from custom_components.foresight.const import (
    CONF_ENGINE,
    CONF_FEATURE_ENTITIES,
    CONF_LIMIT,
    CONF_LIMIT_DIRECTION,
    CONF_TARGET_ENTITY,
    CONF_WARNING_HOURS,
    CONF_WARNING_PROBABILITY,
    DOMAIN,
)
from custom_components.foresight.ml.watch import SensorForecaster

from .conftest import NOW
from .home import FREEZER, FREEZER_ATTRIBUTES, import_freezer_hours
from .recorder_data import import_mean_statistics

FIVE_MINUTES = timedelta(minutes=5)
# The door was left ajar two hours before NOW: the freezer warms by 2 °C an hour.
DOOR_OPEN = NOW - timedelta(hours=2)
WARMING_PER_HOUR = 2.0


def _freezer_value(moment: datetime, rng: np.random.Generator) -> float:
    cycle = 0.6 * ((moment.timestamp() / 60 % 40) / 40 - 0.5)
    warming = max((moment - DOOR_OPEN).total_seconds() / 3600, 0.0) * WARMING_PER_HOUR
    return round(-18.0 + cycle + warming + float(rng.normal(0, 0.05)), 2)


async def _write_readings(hass: HomeAssistant, start: datetime, end: datetime) -> None:
    """Readings every five minutes, written with their own timestamps."""
    rng = np.random.default_rng(7)
    moment = start
    while moment <= end:
        hass.states.async_set(
            FREEZER,
            str(_freezer_value(moment, rng)),
            FREEZER_ATTRIBUTES,
            timestamp=moment.timestamp(),
        )
        moment += FIVE_MINUTES
    await async_wait_recording_done(hass)


@pytest.fixture
async def freezer_history(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Three weeks of hourly statistics and three days of five-minute readings."""
    freezer.move_to(NOW)
    end = NOW.replace(minute=0) - timedelta(days=3)
    await import_freezer_hours(hass, end, np.random.default_rng(3))
    await _write_readings(hass, NOW - timedelta(days=3), NOW)


def _entry(**threshold: Any) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Freezer",
        unique_id=FREEZER,
        data={CONF_TARGET_ENTITY: FREEZER},
        options={CONF_ENGINE: "numpy", **threshold},
    )


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def _warning_options(limit: float, direction: str = "above") -> dict[str, Any]:
    return {
        CONF_LIMIT: limit,
        CONF_LIMIT_DIRECTION: direction,
        CONF_WARNING_HOURS: 6,
        CONF_WARNING_PROBABILITY: 50,
    }


async def test_a_warming_freezer_warns_and_counts_down(
    hass: HomeAssistant, freezer_history: None, freezer: FrozenDateTimeFactory
) -> None:
    entry = _entry(**_warning_options(-12.0))
    await _setup(hass, entry)

    models = entry.runtime_data.training.data
    assert models.watch is not None
    assert models.watch.step == timedelta(minutes=5)
    time_left = hass.states.get("sensor.freezer_time_until_limit")
    # -14 °C now, rising 2 °C an hour: the limit is about an hour away.
    first_eta = float(time_left.state)
    assert 0 < first_eta < 6
    assert time_left.attributes["unit_of_measurement"] == "h"
    assert "rising" in time_left.attributes["explanation"]
    assert float(hass.states.get("sensor.freezer_chance_of_crossing_the_limit").state) >= 50
    warning = hass.states.get("binary_sensor.freezer_limit_warning")
    assert warning.state == "on"

    # Half an hour later, still warming: the crossing is nearer.
    later = NOW + timedelta(minutes=30)
    await _write_readings(hass, NOW + FIVE_MINUTES, later)
    freezer.move_to(later)
    await entry.runtime_data.predictions.async_refresh()
    second_eta = float(hass.states.get("sensor.freezer_time_until_limit").state)
    assert second_eta < first_eta

    # Past the limit: it is confirmed, not forecast.
    past = NOW + timedelta(hours=2, minutes=30)
    await _write_readings(hass, later + FIVE_MINUTES, past)
    freezer.move_to(past)
    await entry.runtime_data.predictions.async_refresh()
    assert float(hass.states.get("sensor.freezer_time_until_limit").state) == 0
    assert hass.states.get("sensor.freezer_time_until_limit").attributes["already_past"]
    assert float(hass.states.get("sensor.freezer_chance_of_crossing_the_limit").state) == 100
    assert hass.states.get("binary_sensor.freezer_limit_warning").state == "on"


async def test_a_limit_that_is_not_in_reach_gives_no_warning(
    hass: HomeAssistant, freezer_history: None
) -> None:
    entry = _entry(**_warning_options(10.0))
    await _setup(hass, entry)

    assert hass.states.get("sensor.freezer_time_until_limit").state == "unknown"
    assert float(hass.states.get("sensor.freezer_chance_of_crossing_the_limit").state) < 50
    assert hass.states.get("binary_sensor.freezer_limit_warning").state == "off"


async def test_a_sensor_forecast_comes_at_its_own_pace(
    hass: HomeAssistant, freezer_history: None, hass_client: ClientSessionGenerator
) -> None:
    entry = _entry()
    await _setup(hass, entry)

    # Without a limit there are no limit entities, but the forecast is the sensor's own.
    assert hass.states.get("sensor.freezer_time_until_limit") is None
    assert hass.states.get("sensor.freezer_base_load") is None
    response = await hass.services.async_call(
        DOMAIN,
        "get_forecast",
        {"config_entry_id": entry.entry_id, "hours": 2},
        blocking=True,
        return_response=True,
    )
    assert response["resolution_minutes"] == 5
    assert len(response["forecast"]) == 24
    assert "limit" not in response
    first = response["forecast"][0]
    assert first["p10"] <= first["p50"] <= first["p90"]
    assert first["explanation"].startswith("Expected ")
    # Issued at 00:30: the step an hour ahead is the one starting at 01:25 (00:35 + 10 steps).
    next_hour = hass.states.get("sensor.freezer_forecast_next_hour")
    assert response["forecast"][10]["timestamp"] == "2026-03-02T01:25:00+00:00"
    assert next_hour.state == str(response["forecast"][10]["p50"])
    # The diagnostic sensors describe the sensor forecaster.
    error = hass.states.get("sensor.freezer_forecast_error")
    assert float(error.state) >= 0
    assert error.attributes["days_evaluated"] is None
    assert error.attributes["best_baseline"] in {"persistence", "same_time_yesterday", "drift"}
    assert hass.states.get("sensor.freezer_model_in_use").state in {"model", "baseline"}

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["sensor_forecaster"]["step_minutes"] == 5
    assert diagnostics["sensor_forecaster"]["model_mae"] >= 0
    assert diagnostics["insight"] is None

    explained = await hass.services.async_call(
        DOMAIN,
        "explain",
        {"config_entry_id": entry.entry_id, "timestamp": first["timestamp"]},
        blocking=True,
        return_response=True,
    )
    assert explained["explanation"] == first["explanation"]


async def test_removing_the_limit_removes_its_entities(
    hass: HomeAssistant, freezer_history: None
) -> None:
    entry = _entry(**_warning_options(-25.0, "below"))
    await _setup(hass, entry)
    # A freezer does not fall to -25 °C: no warning.
    assert hass.states.get("binary_sensor.freezer_limit_warning").state == "off"

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert "remove_threshold" in result["menu_options"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "remove_threshold"}
    )
    await hass.async_block_till_done()
    assert CONF_LIMIT not in entry.options
    registry = er.async_get(hass)
    assert registry.async_get("binary_sensor.freezer_limit_warning") is None
    assert registry.async_get("sensor.freezer_time_until_limit") is None


async def test_the_limit_is_set_in_the_options(hass: HomeAssistant, freezer_history: None) -> None:
    entry = _entry()
    await _setup(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert "remove_threshold" not in result["menu_options"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "threshold"}
    )
    assert result["step_id"] == "threshold"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _warning_options(-12.0)
    )
    await hass.async_block_till_done()
    assert entry.options[CONF_LIMIT] == -12.0
    assert hass.states.get("binary_sensor.freezer_limit_warning").state == "on"


SOIL = "sensor.garden_soil_moisture"


async def test_an_hourly_sensor_falling_to_its_limit(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Soil moisture with hourly statistics only: 60 % after watering, then 0.3 % an hour."""
    freezer.move_to(NOW)
    end = NOW.replace(minute=0)
    starts = [end - timedelta(hours=hours) for hours in range(25 * 24, 0, -1)]
    since_watering = np.arange(len(starts)) % (5 * 24)
    moisture = 60.0 - 0.3 * since_watering
    await import_mean_statistics(hass, SOIL, starts, moisture, unit="%", unit_class=None)
    hass.states.async_set(
        SOIL,
        f"{moisture[-1]:.1f}",
        {"unit_of_measurement": "%", "device_class": "moisture", "state_class": "measurement"},
    )
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Garden soil",
        unique_id=SOIL,
        data={CONF_TARGET_ENTITY: SOIL},
        options={
            CONF_ENGINE: "numpy",
            **_warning_options(moisture[-1] - 3.0, "below"),
            CONF_WARNING_HOURS: 12,
        },
    )
    await _setup(hass, entry)

    assert entry.runtime_data.training.data.watch.step == timedelta(hours=1)
    eta = float(hass.states.get("sensor.garden_soil_time_until_limit").state)
    # 3 % to go at 0.3 % an hour: about 10 hours, inside the 12-hour warning horizon.
    assert 6 <= eta <= 12
    warning = hass.states.get("binary_sensor.garden_soil_limit_warning")
    assert warning.state == "on", (eta, warning.attributes)
    response = await hass.services.async_call(
        DOMAIN,
        "get_forecast",
        {"config_entry_id": entry.entry_id},
        blocking=True,
        return_response=True,
    )
    assert response["resolution_minutes"] == 60
    assert response["limit"]["direction"] == "below"


WATCH_EXAMPLES = Path(__file__).parents[2] / "docs" / "examples" / "watch_automations.yaml"


async def _setup_watch_examples(hass: HomeAssistant) -> None:
    automations = yaml.safe_load(WATCH_EXAMPLES.read_text(encoding="utf-8"))
    assert await async_setup_component(hass, "persistent_notification", {})
    assert await async_setup_component(hass, "automation", {"automation": automations})
    await hass.async_block_till_done()


def test_readme_shows_the_tested_watch_automations() -> None:
    readme = (WATCH_EXAMPLES.parents[2] / "README.md").read_text(encoding="utf-8")
    assert WATCH_EXAMPLES.read_text(encoding="utf-8").strip() in readme


# The irrigation example's time trigger stays scheduled for the next morning.
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_the_freezer_automation_notifies_before_the_limit(
    hass: HomeAssistant, freezer_history: None
) -> None:
    await _setup_watch_examples(hass)
    await _setup(hass, _entry(**_warning_options(-12.0)))

    notifications = persistent_notification._async_get_or_create_notifications(hass)
    [notification] = notifications.values()
    assert notification["title"] == "Freezer warming up"
    assert "rising" in notification["message"]


@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_the_irrigation_automation_waters_before_the_soil_is_dry(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    watering = async_mock_service(hass, "switch", "turn_on")
    freezer.move_to(NOW)
    await _setup_watch_examples(hass)
    await test_an_hourly_sensor_falling_to_its_limit(hass, freezer)
    # The soil falls 0.3 % an hour and is forecast under 25 % within the day.
    # 06:00 local (US/Pacific in tests) is 14:00 UTC.
    with patch.object(
        hass.config_entries.async_entries(DOMAIN)[0].runtime_data.predictions, "async_refresh"
    ):
        freezer.move_to(NOW.replace(hour=14, minute=0))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()

    assert [call.data["entity_id"] for call in watering] == [["switch.garden_irrigation"]]


DOOR = "sensor.freezer_door_open"


async def test_a_feature_sensor_explains_the_sensor_forecast(
    hass: HomeAssistant, freezer_history: None
) -> None:
    # A door sensor reporting 1 while open (since DOOR_OPEN) and 0 while shut.
    moment = NOW - timedelta(days=3)
    while moment <= NOW:
        hass.states.async_set(
            DOOR, "1" if moment >= DOOR_OPEN else "0", {}, timestamp=moment.timestamp()
        )
        moment += FIVE_MINUTES
    await async_wait_recording_done(hass)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Freezer",
        unique_id=FREEZER,
        data={CONF_TARGET_ENTITY: FREEZER, CONF_FEATURE_ENTITIES: [DOOR]},
        options={CONF_ENGINE: "numpy", **_warning_options(-12.0)},
    )
    await _setup(hass, entry)

    watch = entry.runtime_data.training.data.watch
    assert watch.settings.feature_columns == (DOOR,)
    steps = entry.runtime_data.predictions.data.watch.steps
    assert f"exogenous:{DOOR}" in steps[0]["contributions"]
    assert hass.states.get("binary_sensor.freezer_limit_warning").state == "on"


async def test_a_failing_reading_read_fails_the_update_once_and_recovers(
    hass: HomeAssistant, freezer_history: None, caplog: pytest.LogCaptureFixture
) -> None:
    entry = _entry()
    await _setup(hass, entry)
    predictions = entry.runtime_data.predictions
    with patch.object(samples, "_read_states", side_effect=OSError("database is locked")):
        await predictions.async_refresh()
        await predictions.async_refresh()
    assert not predictions.last_update_success
    assert isinstance(predictions.last_exception, UpdateFailed)
    assert predictions.last_exception.translation_key == "history_unavailable"
    # One line for the failure, not a traceback at every refresh.
    said = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len([record for record in said if "database is locked" in record.getMessage()]) == 1
    assert not any(record.exc_info for record in said)

    await predictions.async_refresh()
    assert predictions.last_update_success
    assert hass.states.get("sensor.freezer_forecast_next_hour").state != "unavailable"


async def test_a_reading_read_that_hangs_fails_the_update(
    hass: HomeAssistant,
    freezer_history: None,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = _entry()
    await _setup(hass, entry)
    predictions = entry.runtime_data.predictions
    release = threading.Event()

    def stuck(*_args: Any) -> dict[str, list[Any]]:
        # The clock is frozen: move it past the timeout, as the query hangs.
        freezer.tick(timedelta(seconds=1))
        release.wait(10)  # a locked database: the query neither answers nor fails
        return {}

    try:
        with (
            patch.object(history, "READ_TIMEOUT", timedelta(seconds=0.2)),
            patch.object(samples, "_read_states", side_effect=stuck),
        ):
            await predictions.async_refresh()
        assert not predictions.last_update_success
        assert isinstance(predictions.last_exception, UpdateFailed)
        assert "the recorder did not answer within 0.2 s" in caplog.text
        # Still stuck, the query holds no lock: the next refresh gets through.
        await predictions.async_refresh()
        assert predictions.last_update_success
    finally:
        release.set()


async def test_the_sensor_forecaster_is_saved_off_the_event_loop(
    hass: HomeAssistant, freezer_history: None
) -> None:
    # Thousands of floats turned into JSON: in the event loop they would stall it.
    threads = []
    real_to_dict = SensorForecaster.to_dict

    def to_dict(forecaster: SensorForecaster) -> dict[str, Any]:
        threads.append(threading.get_ident())
        return real_to_dict(forecaster)

    with patch.object(SensorForecaster, "to_dict", to_dict):
        await _setup(hass, _entry())
    assert threads
    assert hass.loop_thread_id not in threads
