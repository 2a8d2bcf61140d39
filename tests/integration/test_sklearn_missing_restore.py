"""The scikit-learn notice stays while a restored model is still the NumPy stand-in."""

from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.foresight import repairs, training
from custom_components.foresight.const import CONF_ENGINE, DOMAIN


async def test_restored_model_keeps_the_sklearn_repair(
    hass: HomeAssistant, home: None, mock_config_entry: MockConfigEntry
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="House energy",
        unique_id=mock_config_entry.unique_id,
        data=dict(mock_config_entry.data),
        options={CONF_ENGINE: "sklearn"},
    )
    entry.add_to_hass(hass)
    issue_id = f"{repairs.SKLEARN_UNAVAILABLE}_{entry.entry_id}"
    registry = ir.async_get(hass)
    with patch.object(training, "sklearn_available", return_value=False):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert registry.async_get_issue(DOMAIN, issue_id) is not None

        # A restart: the saved model is restored, not retrained.
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
        hass.data.pop("foresight_signing_key", None)
        with patch.object(training, "train_forecaster", side_effect=AssertionError("retrained")):
            assert await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done()

    assert entry.runtime_data.training.data.sklearn_missing
    assert registry.async_get_issue(DOMAIN, issue_id) is not None
