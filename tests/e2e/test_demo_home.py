"""The demo home's model and history (scripts/demo/foresight_demo), without a running hass.

Fast checks of what the demo promises in docs/DEMO.md: a seed gives the same home, the
imported history and the live meter come from the same numbers and continue each other, and
the numbers look like a home. Not marked e2e: these run with the rest of the suite.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from scripts.demo.foresight_demo import METER, SPECS, DemoHome, _history_rows
from scripts.demo.foresight_demo.model import HomeModel, energy_between, hourly_statistics

BERLIN = ZoneInfo("Europe/Berlin")
ANCHOR = datetime(2026, 11, 24, 15, tzinfo=UTC).timestamp()
DAYS = 60


@pytest.fixture(scope="module")
def model() -> HomeModel:
    return HomeModel(2026, BERLIN)


def test_same_seed_same_home_other_seed_other_home(model: HomeModel) -> None:
    again = HomeModel(2026, BERLIN).sample(ANCHOR - 86_400, 1440)
    other = HomeModel(7, BERLIN).sample(ANCHOR - 86_400, 1440)
    first = model.sample(ANCHOR - 86_400, 1440)
    np.testing.assert_array_equal(first.home_power, again.home_power)
    np.testing.assert_array_equal(first.outdoor_temperature, again.outdoor_temperature)
    assert not np.array_equal(first.home_power, other.home_power)


def test_any_minute_alone_equals_the_same_minute_in_a_block(model: HomeModel) -> None:
    block = model.sample(ANCHOR - 3 * 86_400, 3 * 1440)
    for index in (0, 17, 1439, 2000, 4319):
        alone = model.sample(block.timestamps[index], 1)
        assert alone.home_power[0] == block.home_power[index]
        assert alone.room_temperature[0] == block.room_temperature[index]


def test_energy_adds_up_over_any_split(model: HomeModel) -> None:
    start, middle, end = ANCHOR - 86_400 + 17.3, ANCHOR - 40_000.9, ANCHOR + 123.4
    whole = energy_between(model, start, end)
    parts = energy_between(model, start, middle) + energy_between(model, middle, end)
    assert whole == pytest.approx(parts, rel=1e-12)
    _, hourly = hourly_statistics(model, ANCHOR - 7200, 2)
    assert hourly[1] == pytest.approx(energy_between(model, ANCHOR - 3600, ANCHOR), rel=1e-12)


def test_the_home_looks_like_a_home(model: HomeModel) -> None:
    sample, hourly = hourly_statistics(model, ANCHOR - DAYS * 86_400, DAYS * 24)
    daily = hourly.reshape(DAYS, 24).sum(axis=1)
    assert 5.0 < daily.min() < daily.max() < 40.0
    assert hourly.min() > 0.05
    assert hourly.max() < 6.0
    # Evenings use more than nights: a week from local midnight (UTC+1 in November).
    _, week = hourly_statistics(model, datetime(2026, 11, 16, 23, tzinfo=UTC).timestamp(), 168)
    by_hour = week.reshape(7, 24).mean(axis=0)
    assert by_hour[17:21].mean() > 1.5 * by_hour[1:5].mean()
    # November is colder than late September, and the heat pump knows it.
    assert (
        sample.outdoor_temperature[: 7 * 1440].mean()
        > sample.outdoor_temperature[-7 * 1440 :].mean()
    )
    assert sample.heat_pump_power[-7 * 1440 :].mean() > sample.heat_pump_power[: 7 * 1440].mean()
    assert sample.outdoor_temperature.min() > -20
    assert sample.outdoor_temperature.max() < 35
    assert sample.room_temperature.min() > 16
    assert sample.room_temperature.max() < 27
    for power in (sample.washing_machine_power, sample.dishwasher_power, sample.heat_pump_power):
        assert power.min() >= 0.0
        assert power.max() > 1000.0  # each appliance ran at full power at some point


def test_daylight_saving_change_is_seamless(model: HomeModel) -> None:
    # 2026-10-25 03:00 CEST -> 02:00 CET: local days of 25 hours must not break the grid.
    sample = model.sample(datetime(2026, 10, 24, 12, tzinfo=UTC).timestamp(), 2 * 1440)
    assert np.isfinite(sample.home_power).all()
    assert np.abs(np.diff(sample.outdoor_temperature)).max() < 2.0


def test_history_and_live_meter_continue_each_other(model: HomeModel) -> None:
    origin = ANCHOR - DAYS * 86_400
    offset = 12_345.678
    anchor_value = offset + energy_between(model, origin, ANCHOR)
    state = {"origin": origin, "anchor": ANCHOR, "meter_offset": offset}
    rows = _history_rows(model, state)

    hourly, short_term = rows[METER.key]
    assert len(hourly) == DAYS * 24
    assert hourly[0]["start"].timestamp() == origin
    assert hourly[-1]["start"].timestamp() == ANCHOR - 3600
    assert hourly[-1]["state"] == pytest.approx(anchor_value, rel=1e-12)
    sums = np.array([row["sum"] for row in hourly])
    assert (np.diff(sums) > 0).all()
    # The five-minute row the recorder continues from: the reading at the anchor.
    assert [row["start"].timestamp() for row in short_term] == [ANCHOR - 300]
    assert short_term[0]["sum"] == hourly[-1]["sum"]
    assert short_term[0]["state"] == hourly[-1]["state"]
    for spec in SPECS:
        if spec is not METER:
            measured, none = rows[spec.key]
            assert len(measured) == DAYS * 24
            assert not none
            assert all(row["min"] <= row["mean"] <= row["max"] for row in measured)

    home = DemoHome(
        None,  # type: ignore[arg-type]  # compute() does not need hass
        model,
        anchor=ANCHOR,
        anchor_value=anchor_value,
        entity_ids={},
        update_interval=None,  # type: ignore[arg-type]
    )
    home.compute(ANCHOR + 1)
    assert home.values[METER.key] == pytest.approx(anchor_value, abs=0.001)
    later = ANCHOR + 2 * 3600 + 41.5
    home.compute(later)
    expected = anchor_value + energy_between(model, ANCHOR, later)
    assert home.values[METER.key] == pytest.approx(expected, abs=0.001)
    assert set(home.values) == {spec.key for spec in SPECS}
