"""A hand-edited excluded period that cannot be read is dropped, never a broken entry."""

from datetime import UTC, datetime

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.foresight.const import CONF_EXCLUDED_PERIODS, DOMAIN
from custom_components.foresight.options import Period

GOOD = {"start": "2026-02-10T08:00:00+00:00", "end": "2026-02-11T08:00:00+00:00"}


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"start": "2024-06-01T00:00:00+02:00", "end": "2024-06-08"}, id="naive_end"),
        pytest.param(
            {"start": "2024-02-30T00:00:00+00:00", "end": "2024-03-02T00:00:00+00:00"},
            id="impossible_start",
        ),
        pytest.param(
            {"start": "2024-02-01T00:00:00+00:00", "end": "2024-02-01T25:00:00+00:00"},
            id="impossible_end",
        ),
    ],
)
async def test_unreadable_period_is_dropped(
    hass: HomeAssistant,
    home: None,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    bad: dict[str, str],
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=mock_config_entry.unique_id,
        data=mock_config_entry.data,
        options={**mock_config_entry.options, CONF_EXCLUDED_PERIODS: [bad, GOOD]},
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.settings.excluded_periods == (
        Period(datetime(2026, 2, 10, 8, tzinfo=UTC), datetime(2026, 2, 11, 8, tzinfo=UTC)),
    )
    assert "Option excluded_periods has the invalid value" in caplog.text

    # The options flow opens, so the user can forget the bad period from the UI.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "clear_periods"}
    )
    assert result["description_placeholders"] == {"count": "1"}
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_EXCLUDED_PERIODS] == []
    await hass.async_block_till_done()
