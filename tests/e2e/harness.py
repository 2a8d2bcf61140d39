"""What the end-to-end tests share: a real ``hass`` subprocess on loopback and a client for it.

The fixtures built on this (``live_hass``, ``api``) live in ``conftest.py``.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from http import HTTPStatus
import itertools
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


def free_port() -> int:
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


@contextmanager
def running_hass(tmp_path: Path, extra_config: str = "") -> Iterator[LiveHass]:
    """Start hass on a free loopback port with the demo home; stop it (SIGTERM) afterwards.

    ``extra_config`` is appended to ``configuration.yaml`` (the browser test adds the frontend).
    """
    port = free_port()
    config_dir = tmp_path / "config"
    custom = config_dir / "custom_components"
    custom.mkdir(parents=True)
    (custom / "foresight").symlink_to(REPO / "custom_components" / "foresight")
    (custom / "foresight_demo").symlink_to(REPO / "scripts" / "demo" / "foresight_demo")
    (config_dir / "configuration.yaml").write_text(
        CONFIGURATION.format(port=port, history_days=HISTORY_DAYS) + extra_config
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


@asynccontextmanager
async def open_api(live: LiveHass) -> AsyncIterator[Api]:
    """A client session for ``live`` (its websocket is closed on the way out)."""
    timeout = aiohttp.ClientTimeout(total=STEP_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        client = Api(session, live.base)
        try:
            yield client
        finally:
            await client.close()


async def until[T](
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


def foresight_problems(log: str) -> list[str]:
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


async def onboard_owner(
    api: Api, live: LiveHass, username: str, password: str, *, finish: bool = False
) -> None:
    """Create the owner through the onboarding API and give ``api`` its token.

    With ``finish`` the remaining onboarding steps are completed too, as the onboarding pages
    would, so that the frontend opens the dashboard rather than onboarding after a login.
    """

    async def api_answers() -> bool | None:
        status, _ = await api.call("GET", "/api/")
        return True if status in {HTTPStatus.OK, HTTPStatus.UNAUTHORIZED} else None

    await until("/api/ to answer", api_answers, live, STARTUP_TIMEOUT)

    async def onboarding_steps() -> list[dict[str, Any]] | None:
        status, steps = await api.call("GET", "/api/onboarding")
        return steps if status == HTTPStatus.OK else None

    steps = await until("/api/onboarding", onboarding_steps, live, STARTUP_TIMEOUT)
    assert {"step": "user", "done": False} in steps
    status, created = await api.call(
        "POST",
        "/api/onboarding/users",
        {
            "client_id": api.client_id,
            "name": "E2E Owner",
            "username": username,
            "password": password,
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
    if not finish:
        return
    # core_config also adds met.no and Radio Browser, which retry without internet: harmless.
    for step, body in (
        ("core_config", {}),
        ("analytics", {}),
        (
            "integration",
            {"client_id": api.client_id, "redirect_uri": f"{api.base}/?auth_callback=1"},
        ),
    ):
        status, answer = await api.call("POST", f"/api/onboarding/{step}", body)
        assert status == HTTPStatus.OK, (step, answer)


async def wait_for_history(api: Api, live: LiveHass, statistic_id: str = TARGET) -> int:
    """Wait until the demo's imported hourly statistics of ``statistic_id`` are in the recorder."""

    async def history_hours() -> int | None:
        result = await api.ws(
            {
                "type": "recorder/statistics_during_period",
                "start_time": "2000-01-01T00:00:00+00:00",
                "statistic_ids": [statistic_id],
                "period": "hour",
                "types": ["sum", "state"],
            }
        )
        rows = result.get(statistic_id, [])
        return len(rows) if len(rows) >= HISTORY_DAYS * 24 else None

    return await until("the demo history", history_hours, live)
