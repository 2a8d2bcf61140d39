"""The demo home (scripts/demo/foresight_demo): its model and history, and a real first start.

Fast checks of what the demo promises in docs/DEMO.md: a seed gives the same home, the
imported history and the live meter come from the same numbers and continue each other, the
numbers look like a home and its freezer, and an earlier demo home's state file is upgraded.
Not marked e2e: these run with the rest of the suite.

``test_first_start_creates_both_entries_and_the_freezer_limit`` (marked e2e) starts a real
``hass`` with the demo home as ``scripts/develop`` does (it creates its Foresight entries) and
checks what a user would find: the energy entry, and the Freezer entry with its limit set
through the options flow.
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from http import HTTPStatus
import json
import logging
import math
from pathlib import Path
import signal
import time
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from scripts.demo.foresight_demo import (
    FREEZER,
    METER,
    SPECS,
    DemoHome,
    _history_rows,
    pending_history,
    upgrade_state,
)
from scripts.demo.foresight_demo.model import HomeModel, energy_between, hourly_statistics

from . import harness
from .harness import (
    HISTORY_DAYS,
    STARTUP_TIMEOUT,
    STOP_TIMEOUT,
    Api,
    LiveHass,
    foresight_problems,
    onboard_owner,
    open_api,
    running_hass,
    until,
)

_LOGGER = logging.getLogger(__name__)

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


def test_the_freezer_looks_like_a_freezer(model: HomeModel) -> None:
    sample = model.sample(ANCHOR - DAYS * 86_400, DAYS * 1440)
    freezer = sample.freezer_temperature
    # Compressor cycles around -18 °C: most of the time within a degree of it.
    assert -18.3 < float(np.median(freezer)) < -17.7
    assert np.mean(np.abs(freezer + 18.0) < 1.0) > 0.9
    assert freezer.min() > -19.5
    # The door left ajar now and then: warmer by 2 to 4 °C, never past -12 °C.
    daily_max = freezer.reshape(DAYS, 1440).max(axis=1)
    warm_days = int((daily_max > -16.0).sum())
    assert 5 <= warm_days <= 30
    assert -16.5 < freezer.max() < -13.0
    # Warming about 2 °C an hour while ajar: the steepest hour rises by 1.5-2.5 °C.
    rise = freezer[60:] - freezer[:-60]
    assert 1.5 < rise.max() < 2.8
    # Recovered within a few hours: no hour is warm for long.
    hourly = freezer.reshape(DAYS * 24, 60).mean(axis=1)
    assert (hourly > -16.0).sum() < 4 * warm_days


def _legacy_state() -> dict[str, Any]:
    """A state file of a demo home created before the freezer existed."""
    return {
        "seed": 2026,
        "origin": ANCHOR - DAYS * 86_400,
        "anchor": ANCHOR,
        "meter_offset": 12_345.678,
        "anchor_value": 23_456.789,
        "history_imported": True,
        "foresight_entry_created": True,
    }


def test_an_earlier_demo_home_gets_the_freezer(model: HomeModel) -> None:
    state = _legacy_state()
    later = ANCHOR + 5 * 86_400 + 7 * 3600
    assert upgrade_state(state, later, DAYS)
    # The six original sensors keep their window and stay imported; only the freezer is new.
    assert pending_history(state) == [FREEZER.key]
    assert state["history"][METER.key] == {
        "origin": state["origin"],
        "anchor": ANCHOR,
        "imported": True,
    }
    assert state["history"][FREEZER.key] == {
        "origin": later - DAYS * 86_400,
        "anchor": later,
        "imported": False,
    }
    assert state["foresight_entry_created"] is True
    assert state["freezer_entry_created"] is False
    assert state["freezer_limit_set"] is False
    assert not upgrade_state(state, later + 3600, DAYS)  # nothing more to do next time

    rows = _history_rows(model, state, [FREEZER.key])
    assert set(rows) == {FREEZER.key}
    hourly, short_term = rows[FREEZER.key]
    assert not short_term
    assert len(hourly) == DAYS * 24
    assert hourly[0]["start"].timestamp() == later - DAYS * 86_400
    assert hourly[-1]["start"].timestamp() == later - 3600
    assert all(-20.0 < row["min"] <= row["mean"] <= row["max"] < -12.0 for row in hourly)


def test_a_new_demo_home_needs_no_upgrade() -> None:
    state = _legacy_state()
    upgrade_state(state, ANCHOR, DAYS)
    assert not upgrade_state(state, ANCHOR + 86_400, DAYS)


# A real first start, as scripts/develop does it.

FREEZER_ID = "sensor.demo_freezer_temperature"
TIME_UNTIL_LIMIT = "sensor.freezer_time_until_limit"
CHANCE = "sensor.freezer_chance_of_crossing_the_limit"
WARNING = "binary_sensor.freezer_limit_warning"
# A first start imports the history, creates two entries (each trains) and sets the limit
# (the freezer entry reloads and trains again): minutes on a busy two-core machine.
FIRST_START_TIMEOUT = 600.0


@pytest.fixture
def demo_hass(
    tmp_path: Path, socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LiveHass]:
    """hass with the demo home creating its own Foresight entries, as in config/."""
    configuration = harness.CONFIGURATION.replace(
        "create_foresight_entry: false", "create_foresight_entry: true"
    )
    assert configuration != harness.CONFIGURATION
    monkeypatch.setattr(harness, "CONFIGURATION", configuration)
    with running_hass(tmp_path) as live:
        yield live


async def _states(api: Api) -> dict[str, dict[str, Any]]:
    status, states = await api.call("GET", "/api/states")
    assert status == HTTPStatus.OK, states
    return {state["entity_id"]: state for state in states}


async def _entries(api: Api) -> dict[str, dict[str, Any]]:
    status, entries = await api.call("GET", "/api/config/config_entries/entry?domain=foresight")
    assert status == HTTPStatus.OK, entries
    for entry in entries:
        assert entry["state"] not in {"setup_error", "failed_unload"}, entry
    return {entry["title"]: entry for entry in entries}


def _is_number(value: str) -> bool:
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


@pytest.mark.e2e
async def test_first_start_creates_both_entries_and_the_freezer_limit(
    demo_hass: LiveHass,
) -> None:
    live = demo_hass
    timings: dict[str, float] = {}

    def mark(step: str) -> None:
        timings[step] = round(time.monotonic() - live.started, 1)

    async with open_api(live) as api:
        await onboard_owner(api, live, "e2e", "e2e-password")

        # The freezer is a live temperature sensor with 60 days of hourly mean statistics.
        async def freezer_state() -> dict[str, Any] | None:
            status, state = await api.call("GET", f"/api/states/{FREEZER_ID}")
            return state if status == HTTPStatus.OK else None

        freezer = await until(f"{FREEZER_ID} to have a state", freezer_state, live)
        assert -21.0 < float(freezer["state"]) < -12.0, freezer
        attributes = freezer["attributes"]
        assert attributes["friendly_name"] == "Freezer"
        assert attributes["device_class"] == "temperature"
        assert attributes["state_class"] == "measurement"
        assert attributes["unit_of_measurement"] == "°C"

        async def freezer_history() -> list[dict[str, Any]] | None:
            result = await api.ws(
                {
                    "type": "recorder/statistics_during_period",
                    "start_time": "2000-01-01T00:00:00+00:00",
                    "statistic_ids": [FREEZER_ID],
                    "period": "hour",
                    "types": ["mean", "min", "max"],
                }
            )
            rows: list[dict[str, Any]] = result.get(FREEZER_ID, [])
            return rows if len(rows) >= HISTORY_DAYS * 24 else None

        rows = await until("the freezer's history", freezer_history, live, STARTUP_TIMEOUT)
        assert all(-20.0 < row["mean"] < -12.0 for row in rows), rows
        mark("history")

        # Both entries, created through the config flow by the demo, load.
        async def both_loaded() -> dict[str, dict[str, Any]] | None:
            entries = await _entries(api)
            wanted = ("Demo home energy", "Freezer")
            if all(entries.get(title, {}).get("state") == "loaded" for title in wanted):
                return entries
            return None

        entries = await until("both entries to load", both_loaded, live, FIRST_START_TIMEOUT)
        assert set(entries) == {"Demo home energy", "Freezer"}, entries
        mark("entries_loaded")

        # The limit, set through the options flow, gives the freezer entry its three entities;
        # they appear once the entry has reloaded with the new options.
        async def limit_states() -> dict[str, dict[str, Any]] | None:
            states = await _states(api)
            wanted = (TIME_UNTIL_LIMIT, CHANCE, WARNING)
            if all(states.get(e, {}).get("state") not in {None, "unavailable"} for e in wanted):
                return states
            return None

        states = await until("the limit's entities", limit_states, live, FIRST_START_TIMEOUT)
        mark("limit_entities")
        entries = await _entries(api)
        assert entries["Freezer"]["state"] == "loaded", entries["Freezer"]
        freezer_entry_id = entries["Freezer"]["entry_id"]

        time_left = states[TIME_UNTIL_LIMIT]
        # Hours until the crossing, or unknown when it is not expected within the forecast
        # (the usual answer while the door is closed: -18 °C is far from -12 °C).
        assert time_left["state"] == "unknown" or float(time_left["state"]) >= 0.0, time_left
        assert time_left["attributes"]["unit_of_measurement"] == "h"
        assert time_left["attributes"]["limit"] == -12.0
        assert time_left["attributes"]["direction"] == "above"
        chance = states[CHANCE]
        assert chance["state"] == "unknown" or 0.0 <= float(chance["state"]) <= 100.0, chance
        assert chance["attributes"]["unit_of_measurement"] == "%"
        assert states[WARNING]["state"] in {"on", "off"}, states[WARNING]

        # The energy entry is there as before, with its forecasts.
        registry = await api.ws({"type": "config/entity_registry/list"})
        energy_id = entries["Demo home energy"]["entry_id"]
        energy_entities = [
            item["entity_id"] for item in registry if item.get("config_entry_id") == energy_id
        ]
        assert "sensor.demo_home_energy_forecast_next_hour" in energy_entities, energy_entities
        for entity_id in energy_entities:
            assert states[entity_id]["state"] != "unavailable", states[entity_id]
        assert not any(entity_id.endswith("_limit") for entity_id in energy_entities)

        # A real Home Assistant fits in Foresight's training process, not on a thread.
        status, diagnostics = await api.call("GET", f"/api/diagnostics/config_entry/{energy_id}")
        assert status == HTTPStatus.OK, diagnostics
        assert diagnostics["data"]["fits_run_in"] == "process", diagnostics["data"]

        # The freezer's forecast. At a first start the recorder holds hourly statistics and
        # only a few minutes of live readings, so Foresight forecasts the freezer hourly; once
        # a few days of readings (one a minute or so) are recorded it picks its own pace.
        status, called = await api.call(
            "POST",
            "/api/services/foresight/get_forecast?return_response",
            {"config_entry_id": freezer_entry_id},
        )
        assert status == HTTPStatus.OK, called
        response = called["service_response"]
        assert response["entity_id"] == FREEZER_ID
        assert response["resolution_minutes"] == 60, response["resolution_minutes"]
        records = response["forecast"]
        assert len(records) >= 6, records  # at least the 6-hour warning horizon
        for record in records:
            p10, p50, p90 = (float(record[key]) for key in ("p10", "p50", "p90"))
            assert p10 <= p50 <= p90, record
            assert -25.0 < p50 < -5.0, record
        limit = response["limit"]
        assert 0.0 <= limit["probability"] <= 1.0, limit
        assert limit["warning"] is (states[WARNING]["state"] == "on"), (limit, states[WARNING])
        assert limit["text"], limit
        mark("forecast")

        summary = {
            entity_id: (
                states[entity_id]["state"],
                states[entity_id]["attributes"].get("explanation"),
            )
            for entity_id in (FREEZER_ID, TIME_UNTIL_LIMIT, CHANCE, WARNING)
        }
        _LOGGER.info("freezer entry states: %s", json.dumps(summary, ensure_ascii=False))
        _LOGGER.info("freezer forecast: %s ...", json.dumps(records[:3], ensure_ascii=False))
        _LOGGER.info("limit outlook: %s", json.dumps(limit, ensure_ascii=False))

    # The demo remembers what it did, and stops cleanly without Foresight errors.
    live.process.send_signal(signal.SIGTERM)
    code = live.process.wait(STOP_TIMEOUT)
    mark("stopped")
    log = live.log_text()
    assert code == 0, f"hass exited with {code}:\n{log[-4000:]}"
    demo = json.loads((live.config_dir / ".storage" / "foresight_demo").read_text())["data"]
    assert demo["foresight_entry_created"] is True
    assert demo["freezer_entry_created"] is True
    assert demo["freezer_limit_set"] is True
    assert demo["history_imported"] is True
    assert not pending_history(demo)
    problems = foresight_problems(log)
    assert not problems, "\n".join(problems)
    _LOGGER.info("demo e2e timings, seconds after launch: %s", timings)
