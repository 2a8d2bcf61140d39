"""Foresight's actions: responses, feedback and translated validation errors."""

from datetime import timedelta
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.foresight import training
from custom_components.foresight.const import CONF_EXCLUDED_PERIODS, DOMAIN

from .conftest import NOW
from .home import ANOMALY, raise_energy_alarm


async def _call(hass: HomeAssistant, service: str, data: dict[str, object]) -> dict[str, object]:
    response = await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


async def test_get_forecast_returns_hourly_quantiles_and_explanations(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    response = await _call(
        hass, "get_forecast", {"config_entry_id": init_integration.entry_id, "hours": 24}
    )
    assert response["entity_id"] == "sensor.house_energy"
    assert response["served"] == "model"
    forecast = response["forecast"]
    assert isinstance(forecast, list)
    assert len(forecast) == 24
    first = forecast[0]
    assert first["timestamp"] == "2026-03-02T01:00:00+00:00"
    assert first["p10"] <= first["p50"] <= first["p90"]
    assert first["baseline"] + sum(first["contributions"].values()) == pytest.approx(
        first["p50"], abs=1e-3
    )
    assert set(first["contributions"]) >= {"sensor.outdoor_temperature"}
    assert first["explanation"].startswith("Expected ")


async def test_explain_one_hour(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    moment = NOW + timedelta(hours=5)
    response = await _call(
        hass,
        "explain",
        {"config_entry_id": init_integration.entry_id, "timestamp": moment.isoformat()},
    )
    assert response["timestamp"] == "2026-03-02T05:00:00+00:00"
    assert "Expected" in str(response["explanation"])
    assert response["anomaly"] is not None

    default = await _call(hass, "explain", {"config_entry_id": init_integration.entry_id})
    assert default["timestamp"] == "2026-03-02T01:00:00+00:00"

    with pytest.raises(ServiceValidationError) as error:
        await _call(
            hass,
            "explain",
            {
                "config_entry_id": init_integration.entry_id,
                "timestamp": (NOW + timedelta(days=10)).isoformat(),
            },
        )
    assert error.value.translation_key == "timestamp_outside_forecast"


async def test_unknown_and_unloaded_entries_are_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as error:
        await _call(hass, "get_forecast", {"config_entry_id": "nope"})
    assert error.value.translation_key == "entry_not_found"

    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as error:
        await _call(hass, "get_forecast", {"config_entry_id": init_integration.entry_id})
    assert error.value.translation_key == "entry_not_loaded"


async def test_retrain_refits_and_reports_failure(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    runtime = init_integration.runtime_data
    before = runtime.training.data
    await hass.services.async_call(
        DOMAIN, "retrain", {"config_entry_id": init_integration.entry_id}, blocking=True
    )
    assert runtime.training.data is not before

    with (
        patch.object(training, "train_forecaster", side_effect=RuntimeError("boom")),
        pytest.raises(HomeAssistantError) as error,
    ):
        await hass.services.async_call(
            DOMAIN, "retrain", {"config_entry_id": init_integration.entry_id}, blocking=True
        )
    assert error.value.translation_key == "training_failed"
    # The previous good model keeps serving.
    assert runtime.training.data is not None
    assert runtime.training.data.forecaster is not None
    assert hass.states.get("sensor.house_energy_forecast_next_hour").state != "unavailable"


async def test_mark_period_abnormal_is_excluded_from_training(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    start = NOW.replace(minute=0) - timedelta(days=3)
    await hass.services.async_call(
        DOMAIN,
        "mark_period",
        {
            "config_entry_id": init_integration.entry_id,
            "start": start.isoformat(),
            "end": (start + timedelta(hours=10)).isoformat(),
            "kind": "abnormal",
        },
        blocking=True,
    )
    assert init_integration.options[CONF_EXCLUDED_PERIODS] == [
        {"start": start.isoformat(), "end": (start + timedelta(hours=10)).isoformat()}
    ]
    await hass.services.async_call(
        DOMAIN, "retrain", {"config_entry_id": init_integration.entry_id}, blocking=True
    )
    quality = init_integration.runtime_data.training.data.quality
    assert quality.excluded_hours == {"user_period": 10}


async def test_mark_period_normal_clears_an_alarm(
    hass: HomeAssistant, init_integration: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await raise_energy_alarm(hass, init_integration, freezer)
    since = init_integration.runtime_data.predictions.data.anomaly.since

    await hass.services.async_call(
        DOMAIN,
        "mark_period",
        {
            "config_entry_id": init_integration.entry_id,
            "start": since.isoformat(),
            "end": dt_util.utcnow().isoformat(),
            "kind": "normal",
        },
        blocking=True,
    )
    # At once, not when the next hour is scored.
    assert hass.states.get(ANOMALY).state == "off"


async def test_mark_period_rejects_reversed_period(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as error:
        await hass.services.async_call(
            DOMAIN,
            "mark_period",
            {
                "config_entry_id": init_integration.entry_id,
                "start": NOW.isoformat(),
                "end": (NOW - timedelta(hours=1)).isoformat(),
                "kind": "normal",
            },
            blocking=True,
        )
    assert error.value.translation_key == "invalid_period"


async def test_no_forecast_before_enough_history(
    hass: HomeAssistant, freezer: object, mock_config_entry: MockConfigEntry
) -> None:
    from .home import seed_home  # noqa: PLC0415

    freezer.move_to(NOW)  # type: ignore[attr-defined]
    await seed_home(hass, NOW.replace(minute=0), days=5)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as error:
        await _call(hass, "get_forecast", {"config_entry_id": mock_config_entry.entry_id})
    assert error.value.translation_key == "no_forecast"
