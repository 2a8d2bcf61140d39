"""End to end: a real ``hass`` process on loopback, driven over HTTP as a client would.

The test starts ``hass`` with a fresh config directory holding Foresight and the demo home
(``scripts/demo/foresight_demo``, for realistic recorder history), onboards an owner through
the onboarding API, adds Foresight through the config-flow REST API, reads the entry's
entities, calls ``foresight.get_forecast`` over REST and stops ``hass`` with SIGTERM.

Run it alone: ``.venv/bin/pytest -m e2e tests/e2e`` (about a minute). It opens sockets to
127.0.0.1 only; the Home Assistant test plugin blocks every other host.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
import itertools
import logging
import math
import os
from pathlib import Path
import re
import signal
import socket
import subprocess
import sys
import time
from typing import Any

import aiohttp
import pytest

_LOGGER = logging.getLogger(__name__)

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
HASS = Path(sys.executable).with_name("hass")
TARGET = "sensor.demo_home_energy"
OUTDOOR = "sensor.demo_outdoor_temperature"
HISTORY_DAYS = 60

STARTUP_TIMEOUT = 120.0
STEP_TIMEOUT = 90.0
STOP_TIMEOUT = 60.0

CONFIGURATION = """\
homeassistant:
  name: Foresight e2e
  unit_system: metric
  time_zone: Europe/Berlin
  country: DE
  currency: EUR
  latitude: 51.3
  longitude: 9.5
  elevation: 160

http:
  server_host: 127.0.0.1
  server_port: {port}

api:
config:
onboarding:
recorder:
  commit_interval: 1

foresight_demo:
  seed: 7
  history_days: {history_days}
  update_interval: 5
  create_foresight_entry: false

logger:
  default: warning
  logs:
    homeassistant.bootstrap: info
    custom_components.foresight: debug
    custom_components.foresight_demo: debug
"""

# One log record: the header line and its continuation lines (tracebacks).
_RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ (\w+) ", re.MULTILINE)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveHass:
    """A running hass process and what the test needs to talk to it."""

    process: subprocess.Popen[bytes]
    base: str
    log: Path
    config_dir: Path
    started: float

    def log_text(self) -> str:
        """Everything hass has logged so far."""
        return self.log.read_text(errors="replace")


@pytest.fixture
def live_hass(tmp_path: Path, socket_enabled: None) -> Iterator[LiveHass]:
    """Start hass on a free loopback port; stop it (SIGTERM) if the test did not."""
    port = _free_port()
    config_dir = tmp_path / "config"
    custom = config_dir / "custom_components"
    custom.mkdir(parents=True)
    (custom / "foresight").symlink_to(REPO / "custom_components" / "foresight")
    (custom / "foresight_demo").symlink_to(REPO / "scripts" / "demo" / "foresight_demo")
    (config_dir / "configuration.yaml").write_text(
        CONFIGURATION.format(port=port, history_days=HISTORY_DAYS)
    )
    log = tmp_path / "hass.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own hass, fixed arguments
            # --skip-pip: everything Foresight needs is installed in this environment; without
            # it hass spends a minute trying to build the voice pipeline's requirements.
            [str(HASS), "--config", str(config_dir), "--skip-pip"],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    live = LiveHass(process, f"http://127.0.0.1:{port}", log, config_dir, time.monotonic())
    try:
        yield live
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class Api:
    """REST and websocket calls to the live hass, with the owner's token once there is one."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        """Talk to hass at ``base``."""
        self.session = session
        self.base = base
        self.client_id = f"{base}/"
        self.token: str | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ws_id = 0

    async def call(
        self, method: str, path: str, json: Any = None, *, data: Any = None
    ) -> tuple[int, Any]:
        """One HTTP request; the status and the decoded JSON (or text) body."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        async with self.session.request(
            method, self.base + path, json=json, data=data, headers=headers
        ) as response:
            if response.content_type == "application/json":
                return response.status, await response.json()
            return response.status, await response.text()

    async def ws(self, message: dict[str, Any]) -> Any:
        """One websocket command; its result (fails the test on an error)."""
        if self._ws is None:
            self._ws = await self.session.ws_connect(f"{self.base}/api/websocket")
            assert (await self._ws.receive_json())["type"] == "auth_required"
            await self._ws.send_json({"type": "auth", "access_token": self.token})
            assert (await self._ws.receive_json())["type"] == "auth_ok"
        self._ws_id += 1
        await self._ws.send_json({"id": self._ws_id, **message})
        while True:
            answer = await self._ws.receive_json(timeout=STEP_TIMEOUT)
            if answer.get("id") == self._ws_id and answer["type"] == "result":
                assert answer["success"], answer
                return answer["result"]

    async def close(self) -> None:
        """Close the websocket, if one was opened."""
        if self._ws is not None:
            await self._ws.close()


@pytest.fixture
async def api(live_hass: LiveHass) -> AsyncIterator[Api]:
    """A client session for the live hass (closed before the process is stopped)."""
    timeout = aiohttp.ClientTimeout(total=STEP_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        client = Api(session, live_hass.base)
        try:
            yield client
        finally:
            await client.close()


async def _until[T](
    what: str,
    probe: Callable[[], Awaitable[T | None]],
    live: LiveHass,
    limit: float = STEP_TIMEOUT,
) -> T:
    """Poll ``probe`` until it returns something, failing clearly if hass died or time ran out."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if live.process.poll() is not None:
            pytest.fail(
                f"hass exited ({live.process.returncode}) waiting for {what}:\n"
                f"{live.log_text()[-4000:]}"
            )
        try:
            if (result := await probe()) is not None:
                return result
        except aiohttp.ClientConnectionError, TimeoutError:
            pass
        await asyncio.sleep(0.5)
    pytest.fail(f"timed out after {limit:.0f} s waiting for {what}:\n{live.log_text()[-4000:]}")


def _foresight_problems(log: str) -> list[str]:
    """Log records about Foresight (or the demo) that are errors or carry a traceback."""
    starts = [match.start() for match in _RECORD_START.finditer(log)] + [len(log)]
    problems = []
    for begin, end in itertools.pairwise(starts):
        record = log[begin:end]
        level = _RECORD_START.match(record)
        bad = (
            (level is not None and level.group(1) in {"ERROR", "CRITICAL"})
            or "Traceback" in record
            or "Error setting up" in record
        )
        if bad and "foresight" in record.lower():
            problems.append(record)
    return problems


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

    # 1. hass answers (401 without a token) and offers onboarding.
    async def api_answers() -> bool | None:
        status, _ = await api.call("GET", "/api/")
        return True if status in {HTTPStatus.OK, HTTPStatus.UNAUTHORIZED} else None

    await _until("/api/ to answer", api_answers, live_hass, STARTUP_TIMEOUT)
    mark("api_answers")

    async def onboarding_steps() -> list[dict[str, Any]] | None:
        status, steps = await api.call("GET", "/api/onboarding")
        return steps if status == HTTPStatus.OK else None

    steps = await _until("/api/onboarding", onboarding_steps, live_hass, STARTUP_TIMEOUT)
    assert {"step": "user", "done": False} in steps

    # 2. Onboarding: create the owner, exchange the auth code for a token.
    status, created = await api.call(
        "POST",
        "/api/onboarding/users",
        {
            "client_id": api.client_id,
            "name": "E2E Owner",
            "username": "e2e",
            "password": "e2e-password",
            "language": "en",
        },
    )
    assert status == HTTPStatus.OK, created
    status, token = await api.call(
        "POST",
        "/auth/token",
        data={
            "grant_type": "authorization_code",
            "code": created["auth_code"],
            "client_id": api.client_id,
        },
    )
    assert status == HTTPStatus.OK, token
    api.token = token["access_token"]
    status, message = await api.call("GET", "/api/")
    assert status == HTTPStatus.OK, message
    mark("onboarded")

    # 3. The demo home's sensors have states and its history is in the recorder.
    async def meter_state() -> dict[str, Any] | None:
        status, state = await api.call("GET", f"/api/states/{TARGET}")
        return state if status == HTTPStatus.OK else None

    meter = await _until(f"{TARGET} to have a state", meter_state, live_hass)
    assert float(meter["state"]) > 0
    assert meter["attributes"]["state_class"] == "total_increasing"
    mark("demo_states")

    async def history_hours() -> int | None:
        result = await api.ws(
            {
                "type": "recorder/statistics_during_period",
                "start_time": "2000-01-01T00:00:00+00:00",
                "statistic_ids": [TARGET],
                "period": "hour",
                "types": ["sum", "state"],
            }
        )
        rows = result.get(TARGET, [])
        return len(rows) if len(rows) >= HISTORY_DAYS * 24 else None

    assert await _until("the demo history", history_hours, live_hass) >= HISTORY_DAYS * 24
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

    entry = await _until("the entry to load", entry_loaded, live_hass, STARTUP_TIMEOUT)
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

    states = await _until("the entry's entities to have states", all_states, live_hass)
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
    problems = _foresight_problems(log)
    assert not problems, "\n".join(problems)
    _LOGGER.info("e2e timings, seconds after launch: %s", timings)
