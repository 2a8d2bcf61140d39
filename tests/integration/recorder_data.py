"""Put history into the test recorder the supported way."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)


async def import_meter_statistics(
    hass: HomeAssistant,
    entity_id: str,
    starts: Iterable[datetime],
    sums: Iterable[float],
    *,
    unit: str = "kWh",
    unit_class: str = "energy",
) -> None:
    """Hourly statistics of a cumulative meter (``sum`` per hour)."""
    metadata = StatisticMetaData(
        mean_type=StatisticMeanType.NONE,
        has_sum=True,
        name=None,
        source="recorder",
        statistic_id=entity_id,
        unit_class=unit_class,
        unit_of_measurement=unit,
    )
    rows = [
        StatisticData(start=start, state=total, sum=total)
        for start, total in zip(starts, sums, strict=True)
    ]
    async_import_statistics(hass, metadata, rows)
    await async_wait_recording_done(hass)


async def import_mean_statistics(
    hass: HomeAssistant,
    entity_id: str,
    starts: Iterable[datetime],
    means: Iterable[float],
    *,
    unit: str,
    unit_class: str | None,
) -> None:
    """Hourly statistics of a measurement (``mean`` per hour)."""
    metadata = StatisticMetaData(
        mean_type=StatisticMeanType.ARITHMETIC,
        has_sum=False,
        name=None,
        source="recorder",
        statistic_id=entity_id,
        unit_class=unit_class,
        unit_of_measurement=unit,
    )
    rows = [
        StatisticData(start=start, mean=mean, min=mean, max=mean)
        for start, mean in zip(starts, means, strict=True)
    ]
    async_import_statistics(hass, metadata, rows)
    await async_wait_recording_done(hass)


async def write_states(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_id: str,
    timeline: Iterable[tuple[datetime, str, dict[str, Any]]],
) -> None:
    """Write states at the given moments, as a sensor reporting them would."""
    for moment, state, attributes in timeline:
        freezer.move_to(moment)
        hass.states.async_set(entity_id, state, attributes)
        await hass.async_block_till_done()
    await async_wait_recording_done(hass)
