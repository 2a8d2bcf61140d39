"""The README's example automations, run against a real entry."""

from pathlib import Path
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import persistent_notification
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
import yaml

from custom_components.foresight.prediction import AnomalyView, Snapshot

from .conftest import NOW

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "docs" / "examples" / "automations.yaml"


def test_readme_shows_the_tested_automations() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert EXAMPLES.read_text(encoding="utf-8").strip() in readme


async def _setup_examples(hass: HomeAssistant) -> None:
    automations = yaml.safe_load(EXAMPLES.read_text(encoding="utf-8"))
    assert await async_setup_component(hass, "persistent_notification", {})
    assert await async_setup_component(hass, "automation", {"automation": automations})
    await hass.async_block_till_done()


# The time trigger of the second example stays scheduled for the next evening.
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_anomaly_automation_notifies_with_the_explanation(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    await _setup_examples(hass)
    predictions = init_integration.runtime_data.predictions
    anomalous = AnomalyView(
        score=0.97,
        is_anomaly=True,
        since=NOW,
        kind="spike",
        text="2.6x the usual for a Sunday 16:00.",
        expected=0.8,
        actual=2.1,
    )
    predictions.async_set_updated_data(Snapshot(issued_at=NOW, anomaly=anomalous))
    await hass.async_block_till_done()

    notifications = persistent_notification._async_get_or_create_notifications(hass)
    messages = [n["message"] for n in notifications.values()]
    assert messages == ["2.6x the usual for a Sunday 16:00."]


@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_expensive_day_automation_reads_the_forecast(
    hass: HomeAssistant, init_integration: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await _setup_examples(hass)
    tomorrow = float(hass.states.get("sensor.house_energy_forecast_tomorrow").state)
    assert tomorrow > 30  # the synthetic home in winter uses about 45 kWh a day
    # 20:00 local (US/Pacific in tests) on the day of NOW is 04:00 UTC the next day.
    with patch.object(init_integration.runtime_data.predictions, "async_refresh"):
        freezer.move_to("2026-03-02T04:00:00+00:00")
        async_fire_time_changed(hass)
        await hass.async_block_till_done()

    notifications = persistent_notification._async_get_or_create_notifications(hass)
    [notification] = notifications.values()
    assert notification["title"] == "Tomorrow will be expensive"
    assert f"Foresight expects {tomorrow:g} kWh tomorrow" in notification["message"]
    assert "Busiest hour: 2026-03-" in notification["message"]
