"""Reading clean hourly history from a real (in-memory SQLite) recorder."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import numpy as np
import pytest

from custom_components.foresight.history import (
    EntitySpec,
    ExcludedPeriod,
    HistoryRequest,
    async_read_history,
    entity_spec,
)
from custom_components.foresight.ml.cleaning import Flag

from .recorder_data import import_mean_statistics, import_meter_statistics, write_states

BASE = datetime(2026, 5, 4, tzinfo=UTC)
METER = EntitySpec("sensor.house_energy", cumulative=True, decrease_is_reset=True, unit="kWh")
POWER = EntitySpec("sensor.heat_pump_power", unit="kW")
HOUR = timedelta(hours=1)
ENERGY_ATTRS = {"unit_of_measurement": "kWh", "state_class": "total_increasing"}


def hours_from(start: datetime, count: int) -> list[datetime]:
    return [start + i * HOUR for i in range(count)]


async def test_meter_statistics_flag_replacement_spike_and_negative_hour(
    hass: HomeAssistant,
) -> None:
    use = np.full(48, 0.5)
    use[20] = 5000.0  # a replaced meter whose first reading was added to the sum
    use[30] = -3.0  # a correction that took energy back
    await import_meter_statistics(
        hass, METER.entity_id, hours_from(BASE - HOUR, 49), np.cumsum(np.r_[100.0, use])
    )

    result = await async_read_history(
        hass, HistoryRequest(target=METER, start=BASE, end=BASE + 48 * HOUR)
    )

    frame = result.frame
    assert len(frame) == 48
    assert frame.index[0] == BASE
    assert frame["target"].to_numpy() == pytest.approx(use)
    assert frame["excluded"].to_numpy().nonzero()[0].tolist() == [20, 30]
    assert result.quality.excluded_hours == {"spike": 1, "negative": 1}
    assert result.quality.hours_usable == 46
    assert result.quality.source == "statistics"


async def test_missing_statistics_hour_is_a_gap_not_a_lump(hass: HomeAssistant) -> None:
    starts = [hour for hour in hours_from(BASE - HOUR, 25) if hour != BASE + 10 * HOUR]
    sums = [100.0 + 0.5 * (hour - BASE + HOUR) / HOUR for hour in starts]
    await import_meter_statistics(hass, METER.entity_id, starts, sums)

    result = await async_read_history(
        hass, HistoryRequest(target=METER, start=BASE, end=BASE + 24 * HOUR)
    )

    target = result.frame["target"].to_numpy()
    # Hour 10 has no statistic and hour 11's difference spans two hours: both unknown.
    assert np.isnan(target[[10, 11]]).all()
    assert np.delete(target, [10, 11]) == pytest.approx(np.full(22, 0.5))
    assert result.quality.hours_with_data == 22


async def test_power_statistics_are_converted_to_the_entity_unit(hass: HomeAssistant) -> None:
    await import_mean_statistics(
        hass, POWER.entity_id, hours_from(BASE, 6), [1500.0] * 6, unit="W", unit_class="power"
    )

    result = await async_read_history(
        hass, HistoryRequest(target=POWER, start=BASE, end=BASE + 6 * HOUR)
    )

    assert result.frame["target"].tolist() == pytest.approx([1.5] * 6)
    assert result.quality.unit == "kW"


async def test_states_only_meter_with_reset(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    readings = 200.0 + 0.25 * np.arange(33)  # every 15 minutes for 8 hours: 1 kWh per hour
    readings[14:] = 0.1 + 0.25 * np.arange(19)  # the meter restarts during hour 3
    timeline = [
        (BASE + timedelta(minutes=15 * i), f"{reading:.2f}", ENERGY_ATTRS)
        for i, reading in enumerate(readings)
    ]
    await write_states(hass, freezer, METER.entity_id, timeline)

    result = await async_read_history(
        hass, HistoryRequest(target=METER, start=BASE, end=BASE + 8 * HOUR)
    )

    target = result.frame["target"].to_numpy()
    assert np.isnan(target[3])
    assert np.delete(target, 3) == pytest.approx(np.ones(7))
    assert result.quality.excluded_hours == {"meter_reset": 1}
    assert result.quality.source == "states"


async def test_unit_change_w_to_kw_is_converted_and_reported(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    timeline = [
        (BASE + timedelta(minutes=30 * i), "1500", {"unit_of_measurement": "W"}) for i in range(6)
    ] + [
        (BASE + timedelta(minutes=30 * i), "1.5", {"unit_of_measurement": "kW"})
        for i in range(6, 12)
    ]
    await write_states(hass, freezer, POWER.entity_id, timeline)

    result = await async_read_history(
        hass, HistoryRequest(target=POWER, start=BASE, end=BASE + 6 * HOUR)
    )

    assert result.frame["target"].tolist() == pytest.approx([1.5] * 6)
    changes = result.quality.unit_changes
    assert [(c.at, c.from_unit, c.to_unit) for c in changes] == [(BASE + 3 * HOUR, "W", "kW")]


async def test_unconvertible_unit_is_excluded(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    timeline = [
        (BASE, "2.0", {"unit_of_measurement": "kW"}),
        (BASE + 2 * HOUR, "55", {"unit_of_measurement": "%"}),
        (BASE + 3 * HOUR, "2.0", {"unit_of_measurement": "kW"}),
    ]
    await write_states(hass, freezer, POWER.entity_id, timeline)

    result = await async_read_history(
        hass, HistoryRequest(target=POWER, start=BASE, end=BASE + 4 * HOUR)
    )

    target = result.frame["target"].to_numpy()
    assert target[[0, 1, 3]] == pytest.approx([2.0, 2.0, 2.0])
    assert np.isnan(target[2])
    assert result.quality.excluded_hours == {"unit_mismatch": 1}


async def test_unavailable_stretch_stays_a_gap(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    attrs = {"unit_of_measurement": "kW", "state_class": "measurement"}
    timeline = [
        (BASE, "1.0", attrs),
        (BASE + 2 * HOUR, "unavailable", {}),
        (BASE + 5 * HOUR, "3.0", attrs),
        (BASE + 6 * HOUR, "not a number", attrs),
        (BASE + 7 * HOUR, "3.0", attrs),
    ]
    await write_states(hass, freezer, POWER.entity_id, timeline)

    result = await async_read_history(
        hass, HistoryRequest(target=POWER, start=BASE, end=BASE + 8 * HOUR)
    )

    target = result.frame["target"].to_numpy()
    assert target[[0, 1, 5, 7]] == pytest.approx([1.0, 1.0, 3.0, 3.0])
    assert np.isnan(target[[2, 3, 4, 6]]).all()
    assert result.quality.hours_with_data == 4
    assert result.quality.coverage_percent == 50.0


async def _six_hours_of_statistics_then_states(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Meter statistics for six hours from BASE, then states where they stop (not compiled yet)."""
    await import_meter_statistics(
        hass, METER.entity_id, hours_from(BASE - HOUR, 7), 100.0 + 0.5 * np.arange(7)
    )
    timeline = [
        (BASE + 6 * HOUR + timedelta(minutes=30 * i), f"{103.0 + 0.4 * i:.1f}", ENERGY_ATTRS)
        for i in range(5)
    ]
    await write_states(hass, freezer, METER.entity_id, timeline)


async def test_recent_hours_come_from_states_after_the_last_statistic(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await _six_hours_of_statistics_then_states(hass, freezer)

    result = await async_read_history(
        hass, HistoryRequest(target=METER, start=BASE, end=BASE + 8 * HOUR)
    )

    assert result.frame["target"].tolist() == pytest.approx([0.5] * 6 + [0.8, 0.8])
    assert result.quality.source == "statistics+states"


async def test_without_a_state_the_history_is_in_the_unit_of_the_statistics(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await _six_hours_of_statistics_then_states(hass, freezer)
    hass.states.async_remove(METER.entity_id)

    # Early in a start-up: no state tells the unit or that the entity is a meter.
    spec = entity_spec(hass, METER.entity_id)
    result = await async_read_history(
        hass, HistoryRequest(target=spec, start=BASE, end=BASE + 8 * HOUR)
    )

    assert result.frame["target"].tolist() == pytest.approx([0.5] * 6 + [0.8, 0.8])
    assert result.quality.unit == "kWh"
    assert result.quality.excluded_hours == {}


async def test_statistics_in_a_unit_of_another_kind_are_excluded(hass: HomeAssistant) -> None:
    await import_meter_statistics(
        hass, METER.entity_id, hours_from(BASE - HOUR, 25), 100.0 + 0.5 * np.arange(25)
    )

    # The meter now reports cubic metres: its kWh statistics say nothing in them.
    result = await async_read_history(
        hass,
        HistoryRequest(target=replace(METER, unit="m³"), start=BASE, end=BASE + 24 * HOUR),
    )

    assert result.frame["target"].isna().all()
    assert result.quality.unit == "m³"
    assert result.quality.excluded_hours == {"unit_mismatch": 24}


async def test_entity_with_no_history_at_all(hass: HomeAssistant) -> None:
    result = await async_read_history(
        hass, HistoryRequest(target=METER, start=BASE, end=BASE + 24 * HOUR)
    )

    assert len(result.frame) == 24
    assert result.frame["target"].isna().all()
    assert result.quality.source == "none"
    assert result.quality.coverage_percent == 0.0
    assert result.quality.first_timestamp is None


async def test_excluded_periods_and_features(hass: HomeAssistant) -> None:
    await import_meter_statistics(
        hass, METER.entity_id, hours_from(BASE - HOUR, 25), 100.0 + 0.5 * np.arange(25)
    )
    await import_mean_statistics(
        hass,
        "sensor.outdoor_temperature",
        hours_from(BASE, 24),
        np.linspace(2.0, 14.0, 24),
        unit="°C",
        unit_class="temperature",
    )
    request = HistoryRequest(
        target=METER,
        start=BASE,
        end=BASE + 24 * HOUR,
        features=(EntitySpec("sensor.outdoor_temperature", unit="°C"),),
        excluded_periods=(ExcludedPeriod(BASE + 5 * HOUR, BASE + 8 * HOUR),),
    )

    result = await async_read_history(hass, request)

    assert result.frame["sensor.outdoor_temperature"].tolist() == pytest.approx(
        np.linspace(2.0, 14.0, 24)
    )
    assert result.frame["excluded"].to_numpy().nonzero()[0].tolist() == [5, 6, 7]
    assert result.quality.excluded_hours == {Flag.USER_PERIOD.value: 3}
    assert result.quality.hours_usable == 21


@pytest.mark.parametrize(
    ("time_zone", "monday", "short_or_long_day", "hours_in_week"),
    [
        ("Europe/Paris", date(2026, 3, 23), date(2026, 3, 29), 167),
        ("Europe/Paris", date(2026, 10, 19), date(2026, 10, 25), 169),
        ("America/New_York", date(2026, 3, 2), date(2026, 3, 8), 167),
        ("America/New_York", date(2026, 10, 26), date(2026, 11, 1), 169),
    ],
)
async def test_dst_week_has_no_duplicated_or_lost_hours(
    hass: HomeAssistant,
    time_zone: str,
    monday: date,
    short_or_long_day: date,
    hours_in_week: int,
) -> None:
    await hass.config.async_set_time_zone(time_zone)
    zone = ZoneInfo(time_zone)
    start = datetime.combine(monday, time(), zone).astimezone(UTC)
    end = datetime.combine(monday + timedelta(days=7), time(), zone).astimezone(UTC)
    utc_hours = hours_from(start, int((end - start) / HOUR))
    # Each hour's value is its local hour of day, so misplaced hours would show.
    local_hours = [float(hour.astimezone(zone).hour) for hour in utc_hours]
    await import_mean_statistics(
        hass, POWER.entity_id, utc_hours, local_hours, unit="kW", unit_class="power"
    )

    result = await async_read_history(hass, HistoryRequest(target=POWER, start=start, end=end))

    frame = result.frame
    assert len(frame) == hours_in_week
    assert frame.index.is_unique
    assert frame.index.is_monotonic_increasing
    local = frame.index.tz_convert(time_zone)
    assert frame["target"].tolist() == local.hour.astype(float).tolist()
    day = local.normalize() == datetime.combine(short_or_long_day, time(), zone)
    assert int(day.sum()) == 23 if hours_in_week == 167 else 25


def test_entity_spec_reads_state_class_and_unit(hass: HomeAssistant) -> None:
    hass.states.async_set("sensor.meter", "1", ENERGY_ATTRS)
    hass.states.async_set("sensor.net", "1", {"state_class": "total", "unit_of_measurement": "kWh"})
    assert entity_spec(hass, "sensor.meter") == EntitySpec(
        "sensor.meter", cumulative=True, decrease_is_reset=True, unit="kWh"
    )
    assert entity_spec(hass, "sensor.net") == EntitySpec(
        "sensor.net", cumulative=True, decrease_is_reset=False, unit="kWh"
    )
    assert entity_spec(hass, "sensor.gone") == EntitySpec("sensor.gone")
