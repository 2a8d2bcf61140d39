"""Live sensors of the Foresight demo home."""

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorStateClass,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType

from . import DATA_HOME, SPECS, DemoHome, DemoSensorSpec, unique_id

_DEVICE_CLASSES = {
    "kWh": SensorDeviceClass.ENERGY,
    "W": SensorDeviceClass.POWER,
    "°C": SensorDeviceClass.TEMPERATURE,
}


async def async_setup_platform(
    hass: HomeAssistant,
    config: ConfigType,
    async_add_entities: AddEntitiesCallback,
    discovery_info: DiscoveryInfoType | None = None,
) -> None:
    """Add the demo home's sensors (only when loaded by the demo integration)."""
    if discovery_info is None:
        return
    home: DemoHome = hass.data[DATA_HOME]
    async_add_entities(DemoSensor(home, spec) for spec in SPECS)


class DemoSensor(SensorEntity):
    """One simulated sensor; the demo home pushes new values every few seconds."""

    _attr_should_poll = False

    def __init__(self, home: DemoHome, spec: DemoSensorSpec) -> None:
        """Describe the sensor from its spec."""
        self._home = home
        self._spec = spec
        self._attr_unique_id = unique_id(spec)
        self._attr_name = spec.name
        self._attr_native_unit_of_measurement = spec.unit
        self._attr_device_class = _DEVICE_CLASSES[spec.unit]
        self._attr_state_class = (
            SensorStateClass.TOTAL_INCREASING if spec.cumulative else SensorStateClass.MEASUREMENT
        )
        self._attr_suggested_display_precision = min(spec.decimals, 2)
        self._attr_extra_state_attributes = {"simulated": True}

    async def async_added_to_hass(self) -> None:
        """Follow the demo home's ticks."""
        self.async_on_remove(self._home.async_add_listener(self.async_write_ha_state))

    @property
    def native_value(self) -> float | None:
        """The latest simulated value."""
        return self._home.values.get(self._spec.key)
