"""Calendar events kept out of training, and a weather forecast used for the hours ahead."""

from dataclasses import replace
from datetime import date, datetime, timedelta

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.components.calendar.const import DATA_COMPONENT as CALENDARS
from homeassistant.components.weather import Forecast, WeatherEntity, WeatherEntityFeature
from homeassistant.components.weather.const import DATA_COMPONENT as WEATHERS
from homeassistant.const import UnitOfTemperature
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util

from custom_components.foresight.history import HistoryRequest, async_read_history, entity_spec
from custom_components.foresight.prediction import predict
from custom_components.foresight.sources import async_calendar_periods

from .conftest import NOW
from .home import OUTDOOR, TARGET, setup_entry_with_sources


class HolidayCalendar(CalendarEntity):
    """Two events: a timed one and an all-day one."""

    _attr_name = "Holidays"

    def __init__(self, events: list[CalendarEvent]) -> None:
        self._events = events

    @property
    def event(self) -> CalendarEvent | None:
        return None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        return [e for e in self._events if e.end_datetime_local > start_date]


class FreezingForecast(WeatherEntity):
    """An hourly forecast of -5 °C for the next two days."""

    _attr_name = "Home"
    _attr_native_temperature = 1.0
    _attr_native_temperature_unit = UnitOfTemperature.CELSIUS
    _attr_supported_features = WeatherEntityFeature.FORECAST_HOURLY
    _attr_condition = "snowy"

    async def async_forecast_hourly(self) -> list[Forecast] | None:
        start = NOW.replace(minute=0) + timedelta(hours=1)
        return [
            Forecast(datetime=(start + timedelta(hours=i)).isoformat(), native_temperature=-5.0)
            for i in range(48)
        ]


async def _add_calendar(hass: HomeAssistant, events: list[CalendarEvent]) -> None:
    assert await async_setup_component(hass, "calendar", {})
    await hass.data[CALENDARS].async_add_entities([HolidayCalendar(events)])


async def test_calendar_events_become_excluded_periods(hass: HomeAssistant) -> None:
    timed = CalendarEvent(
        start=datetime(2026, 2, 10, 8, tzinfo=dt_util.UTC),
        end=datetime(2026, 2, 10, 20, tzinfo=dt_util.UTC),
        summary="Guests",
    )
    all_day = CalendarEvent(start=date(2026, 2, 14), end=date(2026, 2, 16), summary="Away")
    await _add_calendar(hass, [timed, all_day])

    periods = await async_calendar_periods(hass, "calendar.holidays", NOW - timedelta(days=30), NOW)

    assert [(p.start, p.end, str(p.flag)) for p in periods] == [
        (timed.start, timed.end, "calendar"),
        # All-day events start and end at local midnight (US/Pacific in tests).
        (
            datetime(2026, 2, 14, 8, tzinfo=dt_util.UTC),
            datetime(2026, 2, 16, 8, tzinfo=dt_util.UTC),
            "calendar",
        ),
    ]


async def test_unknown_calendar_excludes_nothing(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, "calendar", {})
    assert (
        await async_calendar_periods(hass, "calendar.missing", NOW - timedelta(days=1), NOW) == ()
    )


async def test_entry_with_calendar_and_weather(hass: HomeAssistant, home: None) -> None:
    await _add_calendar(
        hass,
        [
            CalendarEvent(
                start=NOW.replace(minute=0) - timedelta(days=10),
                end=NOW.replace(minute=0) - timedelta(days=9),
                summary="Away",
            )
        ],
    )
    assert await async_setup_component(hass, "weather", {})
    await hass.data[WEATHERS].async_add_entities([FreezingForecast()])
    entry = await setup_entry_with_sources(
        hass, weather="weather.home", calendar="calendar.holidays"
    )

    assert entry.runtime_data.training.data.quality.excluded_hours == {"calendar": 24}
    # The weather forecasts the temperature, so the backtest reads it as observed.
    forecaster = entry.runtime_data.training.data.forecaster
    assert forecaster is not None
    assert forecaster.settings.forecast_columns == (OUTDOOR,)
    inputs = await entry.runtime_data.predictions._async_prediction_inputs(NOW, "kWh")
    assert inputs.future_column == OUTDOOR
    assert len(inputs.future_rows) == 48
    assert {value for _, value in inputs.future_rows} == {-5.0}

    # The same forecast without the weather carries the last known temperature forward:
    # the temperature's share of the forecast differs once the weather says -5 °C.
    models = entry.runtime_data.training.data
    end = NOW.replace(minute=0)
    history = await async_read_history(
        hass,
        HistoryRequest(
            target=entity_spec(hass, TARGET),
            start=end - timedelta(days=15),
            end=end,
            features=(entity_spec(hass, OUTDOOR),),
        ),
    )
    with_weather, _ = await hass.async_add_executor_job(predict, models, history.frame, inputs)
    without, _ = await hass.async_add_executor_job(
        predict, models, history.frame, replace(inputs, future_rows=[])
    )
    share = [hour["contributions"][OUTDOOR] for hour in with_weather.hours]
    carried = [hour["contributions"][OUTDOOR] for hour in without.hours]
    assert share != carried
    assert entry.runtime_data.predictions.data.hours == with_weather.hours
