"""End to end: a real ``hass`` process on loopback, driven over HTTP as a client would.

The test starts ``hass`` with a fresh config directory holding Foresight and the demo home
(``scripts/demo/foresight_demo``, for realistic recorder history), onboards an owner through
the onboarding API, adds Foresight through the config-flow REST API, reads the entry's
entities, calls ``foresight.get_forecast`` over REST and stops ``hass`` with SIGTERM.

Run it alone: ``.venv/bin/pytest -m e2e tests/e2e`` (about a minute). It opens sockets to
127.0.0.1 only; the Home Assistant test plugin blocks every other host.
"""

import asyncio
from datetime import datetime
from http import HTTPStatus
import itertools
import logging
import math
import signal
import time
from typing import Any

import pytest

from .harness import (
    HISTORY_DAYS,
    OUTDOOR,
    STARTUP_TIMEOUT,
    STOP_TIMEOUT,
    TARGET,
    Api,
    LiveHass,
    foresight_problems,
    onboard_owner,
    until,
    wait_for_history,
)

_LOGGER = logging.getLogger(__name__)

pytestmark = pytest.mark.e2e


def _fill_form(form: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """What the frontend would submit: our answers, else the defaults and suggested values."""
    user_input: dict[str, Any] = {}
    for field in form["data_schema"]:
        name = field["name"]
        suggested = (field.get("description") or {}).get("suggested_value")
        if name in answers:
            user_input[name] = answers[name]
        elif "default" in field:
            user_input[name] = field["default"]
        elif suggested is not None:
            user_input[name] = suggested
    return user_input


def _forecast_records(response: Any) -> list[dict[str, Any]]:
    """The hourly records in get_forecast's response, wherever the response keeps the list."""
    if isinstance(response, list):
        return response
    assert isinstance(response, dict), response
    for value in response.values():
        if (
            isinstance(value, list)
            and value
            and isinstance(value[0], dict)
            and {"p10", "p50", "p90"} <= value[0].keys()
        ):
            return value
    pytest.fail(f"no list of hourly p10/p50/p90 records in {response!r}")


async def test_live_hass_end_to_end(live_hass: LiveHass, api: Api) -> None:
    timings: dict[str, float] = {}

    def mark(step: str) -> None:
        timings[step] = round(time.monotonic() - live_hass.started, 1)

    # 1-2. hass answers, offers onboarding; the owner is created and its token obtained.
    await onboard_owner(api, live_hass, "e2e", "e2e-password")
    status, message = await api.call("GET", "/api/")
    assert status == HTTPStatus.OK, message
    mark("onboarded")

    # 3. The demo home's sensors have states and its history is in the recorder.
    async def meter_state() -> dict[str, Any] | None:
        status, state = await api.call("GET", f"/api/states/{TARGET}")
        return state if status == HTTPStatus.OK else None

    meter = await until(f"{TARGET} to have a state", meter_state, live_hass)
    assert float(meter["state"]) > 0
    assert meter["attributes"]["state_class"] == "total_increasing"
    mark("demo_states")

    assert await wait_for_history(api, live_hass) >= HISTORY_DAYS * 24
    mark("history")

    # 4. The config flow, over REST as the frontend runs it.
    status, form = await api.call(
        "POST",
        "/api/config/config_entries/flow",
        {"handler": "foresight", "show_advanced_options": False},
    )
    assert status == HTTPStatus.OK, form
    assert form["type"] == "form", form
    assert form["step_id"] == "user"
    fields = {field["name"] for field in form["data_schema"]}
    assert "target_entity" in fields
    answers = {"target_entity": TARGET, "feature_entities": [OUTDOOR]}
    for _ in range(5):  # follow any further steps the flow may have
        status, form = await api.call(
            "POST",
            f"/api/config/config_entries/flow/{form['flow_id']}",
            _fill_form(form, answers),
        )
        assert status == HTTPStatus.OK, form
        assert not form.get("errors"), form
        if form["type"] != "form":
            break
    assert form["type"] == "create_entry", form
    entry_id = form["result"]["entry_id"]
    assert form["result"]["domain"] == "foresight"
    mark("entry_created")

    async def entry_loaded() -> dict[str, Any] | None:
        status, entries = await api.call("GET", "/api/config/config_entries/entry?domain=foresight")
        assert status == HTTPStatus.OK, entries
        entry = next(entry for entry in entries if entry["entry_id"] == entry_id)
        assert entry["state"] not in {"setup_error", "setup_retry", "failed_unload"}, entry
        return entry if entry["state"] == "loaded" else None

    entry = await until("the entry to load", entry_loaded, live_hass, STARTUP_TIMEOUT)
    assert entry["title"]
    mark("entry_loaded")

    # 5. The entry's entities (from the entity registry) and their states over REST.
    registry = await api.ws({"type": "config/entity_registry/list"})
    entity_ids = sorted(
        item["entity_id"] for item in registry if item.get("config_entry_id") == entry_id
    )
    sensors = [entity_id for entity_id in entity_ids if entity_id.startswith("sensor.")]
    assert sensors, f"entry {entry_id} has no sensors: {entity_ids}"

    async def all_states() -> dict[str, dict[str, Any]] | None:
        status, states = await api.call("GET", "/api/states")
        assert status == HTTPStatus.OK, states
        by_id = {state["entity_id"]: state for state in states}
        return by_id if all(entity_id in by_id for entity_id in entity_ids) else None

    states = await until("the entry's entities to have states", all_states, live_hass)
    mark("entities")
    for entity_id in entity_ids:
        assert states[entity_id]["state"] != "unavailable", states[entity_id]
    coverage = next(entity_id for entity_id in sensors if entity_id.endswith("history_coverage"))
    # 60 days of hourly statistics out of the 365 days Foresight looks at by default.
    assert float(states[coverage]["state"]) > 10.0, states[coverage]
    for entity_id in sensors:
        status, single = await api.call("GET", f"/api/states/{entity_id}")
        assert status == HTTPStatus.OK, single
        assert single["attributes"].get("friendly_name")

    # 6. The get_forecast action, over REST with its response.
    status, called = await api.call(
        "POST",
        "/api/services/foresight/get_forecast?return_response",
        {"config_entry_id": entry_id},
    )
    assert status == HTTPStatus.OK, called
    records = _forecast_records(called["service_response"])
    assert len(records) >= 24, records
    times = []
    for record in records:
        p10, p50, p90 = (float(record[key]) for key in ("p10", "p50", "p90"))
        assert all(math.isfinite(value) for value in (p10, p50, p90)), record
        assert p10 <= p50 <= p90, record
        assert p10 >= 0.0, record  # hourly energy use of a home
        stamp = record.get("timestamp", record.get("start"))
        if stamp is not None:
            times.append(datetime.fromisoformat(stamp).timestamp())
    if times:
        assert all(later - earlier == 3600 for earlier, later in itertools.pairwise(times)), times
    mark("forecast")

    # 7. Stop cleanly and read the log.
    await api.close()
    live_hass.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while (code := live_hass.process.poll()) is None:
        if time.monotonic() > deadline:
            pytest.fail(f"hass did not stop within {STOP_TIMEOUT:.0f} s of SIGTERM")
        await asyncio.sleep(0.2)
    mark("stopped")
    log = live_hass.log_text()
    assert code == 0, f"hass exited with {code}:\n{log[-4000:]}"
    problems = foresight_problems(log)
    assert not problems, "\n".join(problems)
    _LOGGER.info("e2e timings, seconds after launch: %s", timings)
