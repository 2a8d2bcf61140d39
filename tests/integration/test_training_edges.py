"""Edges of the executor-side glue and of the sources: saved state and action responses."""

from datetime import UTC, datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant, ServiceCall, SupportsResponse
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.foresight import sources, training
from custom_components.foresight.ml.anomaly import (
    AnomalySettings,
    fit_energy_detector,
    fit_reading_detector,
    fit_sensor_detector,
)
from custom_components.foresight.ml.quality import DataQuality
from custom_components.foresight.model_store import SavedState
from tests.ml.test_anomaly_support import ZONE, household, temperature

from .home import OUTDOOR


def test_saved_meta_edited_by_hand_is_tolerated(init_integration: MockConfigEntry) -> None:
    models = init_integration.runtime_data.training.data
    meta = {
        **training.models_meta(models),
        "quality": {"hours": "lots"},
        "trained_at": "yesterday",
        "last_scored": 12,
    }
    saved = SavedState(models.forecaster, None, meta)
    restored = training.restore_models(saved, models.fingerprint)
    assert restored is not None
    assert restored.quality.source == "saved"
    assert restored.trained_at is None
    assert restored.last_scored is None
    # A model trained with other settings is not restored.
    assert training.restore_models(saved, "other settings") is None
    # A sensor forecaster that cannot be read means retraining, not a half-restored entry.
    broken = SavedState(models.forecaster, None, meta, watch={"format": "martian"})
    assert training.restore_models(broken, models.fingerprint) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("not a time", None),
        ("2026-02-10T08:00:00+00:00", "2026-02-10T08:00:00+00:00"),
    ],
)
def test_event_boundaries(value: Any, expected: str | None) -> None:
    moment = sources._moment(value)
    assert (moment.isoformat() if moment else None) == expected


async def test_weather_without_hourly_forecast_gives_nothing(hass: HomeAssistant) -> None:
    assert await sources.async_weather_temperatures(hass, "weather.nowhere", "°C") == []


async def test_weather_in_fahrenheit_is_converted(hass: HomeAssistant) -> None:
    async def forecasts(call: ServiceCall) -> dict[str, Any]:
        return {
            "weather.home": {
                "forecast": [
                    {"datetime": "2026-03-02T01:00:00+00:00", "temperature": 50.0},
                    {"datetime": "not a time", "temperature": 50.0},
                    {"datetime": "2026-03-02T02:00:00+00:00", "temperature": "warm"},
                ]
            }
        }

    hass.services.async_register(
        "weather", "get_forecasts", forecasts, supports_response=SupportsResponse.ONLY
    )
    hass.states.async_set("weather.home", "sunny", {"temperature_unit": "°F"})
    rows = await sources.async_weather_temperatures(hass, "weather.home", "°C")
    assert [(moment.isoformat(), round(value, 1)) for moment, value in rows] == [
        ("2026-03-02T01:00:00+00:00", 10.0)
    ]


def test_temperature_feature_needs_a_temperature_sensor(hass: HomeAssistant) -> None:
    hass.states.async_set("sensor.presence", "1", {"device_class": "occupancy"})
    assert sources.temperature_feature(hass, ("sensor.presence", "sensor.gone")) is None
    hass.states.async_set(OUTDOOR, "3", {"device_class": "temperature"})
    assert sources.temperature_feature(hass, ("sensor.presence", OUTDOOR)) == OUTDOOR
    assert sources.feature_unit(hass, "sensor.gone") is None


def _models(detector: Any, unit: str, scored: datetime) -> training.Models:
    quality = DataQuality(0, 0, 0, None, None, {}, source="statistics", unit=unit)
    return training.Models(quality, detector=detector, last_scored=scored)


def test_a_retrain_goes_on_with_the_detector_in_the_same_unit() -> None:
    house = household(weeks=9)
    settings = AnomalySettings(time_zone=ZONE)
    in_use = fit_energy_detector(house.iloc[: 8 * 168], settings)
    scored = house.index[8 * 168 + 5].to_pydatetime()
    retrained = fit_energy_detector(house.iloc[: 8 * 168 + 20], settings)

    new = _models(retrained, "kWh", house.index[8 * 168 + 19].to_pydatetime())
    training.continue_models(new, _models(in_use, "kWh", scored))
    assert new.detector is in_use
    assert new.last_scored == scored  # it judges the hours since, not only new ones

    new = _models(retrained, "Wh", house.index[8 * 168 + 19].to_pydatetime())
    training.continue_models(new, _models(in_use, "kWh", scored))
    assert new.detector is retrained  # its history is in kWh


def test_a_replacing_detector_scores_from_the_later_of_both_hours() -> None:
    house = household(weeks=9)
    settings = AnomalySettings(time_zone=ZONE)
    young = fit_energy_detector(house.iloc[: 3 * 168], settings)
    grown = fit_energy_detector(house.iloc[: 8 * 168], settings)
    fitted_until = house.index[8 * 168 - 1].to_pydatetime()
    for scored, expected in ((house.index[8 * 168 + 2], None), (house.index[100], fitted_until)):
        new = _models(grown, "kWh", fitted_until)
        training.continue_models(new, _models(young, "kWh", scored.to_pydatetime()))
        assert new.detector is grown
        assert new.last_scored == (expected or scored.to_pydatetime())


def test_a_change_of_pace_goes_on_from_where_the_previous_detector_stopped_judging() -> None:
    readings = temperature(hours=72, step_seconds=60)["target"]
    hourly = fit_sensor_detector(readings.resample("1h").mean().to_frame(), AnomalySettings())
    five = timedelta(minutes=5)
    buckets = fit_reading_detector(readings, five, readings.index[-1], AnomalySettings())
    eleven = datetime(2026, 3, 2, 11, tzinfo=UTC)

    # Buckets were judged up to the one of 11:35; the hours go on with the one of 11:00.
    new = _models(hourly, "°C", eleven - timedelta(hours=1))
    training.continue_models(new, _models(buckets, "°C", eleven + timedelta(minutes=35)))
    assert new.detector is hourly
    assert new.last_scored == eleven - timedelta(hours=1)

    # Hours were judged up to the one of 10:00; the buckets go on after 10:55.
    new = _models(buckets, "°C", eleven - timedelta(hours=2))
    training.continue_models(new, _models(hourly, "°C", eleven - timedelta(hours=1)))
    assert new.detector is buckets
    assert new.last_scored == eleven - timedelta(minutes=5)
