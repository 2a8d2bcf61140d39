"""get_forecast takes its hours the way templates give them: as a float or a string."""

from homeassistant.core import HomeAssistant
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.foresight.const import DOMAIN


async def _forecast_length(hass: HomeAssistant, entry: MockConfigEntry, hours: object) -> int:
    response = await hass.services.async_call(
        DOMAIN,
        "get_forecast",
        {"config_entry_id": entry.entry_id, "hours": hours},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    forecast = response["forecast"]
    assert isinstance(forecast, list)
    return len(forecast)


@pytest.mark.parametrize("hours", [24, 24.0, "24"], ids=["int", "float", "str"])
async def test_hours_as_a_template_renders_them(
    hass: HomeAssistant, init_integration: MockConfigEntry, hours: object
) -> None:
    assert await _forecast_length(hass, init_integration, hours) == 24


@pytest.mark.parametrize("hours", [0, 169, "a day"])
async def test_hours_out_of_range_are_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry, hours: object
) -> None:
    with pytest.raises(probatio.Invalid):
        await _forecast_length(hass, init_integration, hours)
