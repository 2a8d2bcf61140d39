"""Finish Home Assistant's onboarding with a development-only owner account.

Run by ``scripts/develop`` next to ``hass``: waits until Home Assistant answers, creates the
owner ``dev`` / ``dev-password`` through the onboarding HTTP API exactly as the frontend would
(only if nobody has onboarded this config yet), completes the remaining onboarding steps and
prints the URL and the credentials. Then it reports when the demo home's sensors have states
and how its Foresight entries (the energy meter and the freezer) are doing. Standard library
only.

These credentials are for a throw-away local config on 127.0.0.1; never use them elsewhere.
"""

import argparse
from http import HTTPStatus
import json
import os
import sys
import time
from typing import Any
import urllib.error
import urllib.parse
import urllib.request

DEV_NAME = "Developer"
DEV_USERNAME = "dev"
DEV_PASSWORD = "dev-password"  # noqa: S105 - a local development account, printed on purpose
METER = "sensor.demo_home_energy"
# The entries the demo creates on its first start; a user may have deleted some since.
DEMO_ENTRIES = frozenset({"Demo home energy", "Freezer"})
# How long to wait for the other demo entries once the first has settled.
ENTRIES_GRACE = 120.0
ONBOARDING_STEPS = ("user", "core_config", "analytics", "integration")


class Client:
    """A tiny JSON client for Home Assistant's HTTP API."""

    def __init__(self, base: str) -> None:
        """Talk to Home Assistant at ``base`` (for example http://127.0.0.1:8123)."""
        self.base = base.rstrip("/")
        self.client_id = f"{self.base}/"
        self.token: str | None = None
        # Onboarding requests wait for parts of Home Assistant still starting: be patient.
        self.timeout = 300.0

    def request(
        self, method: str, path: str, body: Any = None, *, form: bool = False
    ) -> tuple[int, Any]:
        """Send a request; return the status and the decoded JSON body (or text)."""
        headers = {}
        data = None
        if body is not None:
            if form:
                data = urllib.parse.urlencode(body).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(  # noqa: S310 - the URL is ours, http on loopback
            self.base + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    def token_from_code(self, code: str) -> None:
        """Exchange an authorization code for an access token."""
        status, body = self.request(
            "POST",
            "/auth/token",
            {"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
            form=True,
        )
        if status != HTTPStatus.OK:
            raise RuntimeError(f"/auth/token answered {status}: {body}")
        self.token = body["access_token"]

    def login(self, username: str, password: str) -> bool:
        """Log in through the login flow, as the frontend does."""
        status, flow = self.request(
            "POST",
            "/auth/login_flow",
            {
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{self.base}/?auth_callback=1",
            },
        )
        if status != HTTPStatus.OK:
            return False
        status, result = self.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            {"username": username, "password": password, "client_id": self.client_id},
        )
        if status != HTTPStatus.OK or result.get("type") != "create_entry":
            return False
        self.token_from_code(result["result"])
        return True


def _alive(pid: int | None) -> bool:
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for_hass(client: Client, timeout: float, parent: int | None) -> list[dict[str, Any]]:
    """Wait until the onboarding API answers; return the onboarding steps."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(parent):
        try:
            status, steps = client.request("GET", "/api/onboarding")
        except OSError:
            status, steps = 0, None
        if status == HTTPStatus.OK:
            return list(steps)
        if status == HTTPStatus.NOT_FOUND:  # onboarding finished: its API is gone
            return [{"step": step, "done": True} for step in ONBOARDING_STEPS]
        time.sleep(1.0)
    raise TimeoutError("Home Assistant did not answer")


def onboard(client: Client, steps: list[dict[str, Any]]) -> str:
    """Create the owner if needed and finish onboarding; return what was done."""
    done = {step["step"] for step in steps if step["done"]}
    if "user" not in done:
        status, body = client.request(
            "POST",
            "/api/onboarding/users",
            {
                "client_id": client.client_id,
                "name": DEV_NAME,
                "username": DEV_USERNAME,
                "password": DEV_PASSWORD,
                "language": "en",
            },
        )
        if status != HTTPStatus.OK:
            raise RuntimeError(
                f"creating the owner failed ({status}): {body}; if config/ is half onboarded, "
                "start again with scripts/develop --reset"
            )
        client.token_from_code(body["auth_code"])
        outcome = "created the owner account"
    elif client.login(DEV_USERNAME, DEV_PASSWORD):
        outcome = "owner account already exists"
    else:
        return "onboarded by someone else: the dev credentials do not work here"
    for step, body in (
        ("core_config", None),
        ("analytics", None),
        (
            "integration",
            {"client_id": client.client_id, "redirect_uri": f"{client.base}/?auth_callback=1"},
        ),
    ):
        if step not in done:
            status, answer = client.request("POST", f"/api/onboarding/{step}", body or {})
            if status != HTTPStatus.OK:
                print(f"[demo] onboarding step {step} answered {status}: {answer}")
    return outcome


def report_demo(client: Client, started: float, timeout: float, parent: int | None) -> None:
    """Say when the demo's meter has a state and how the Foresight entries are doing."""
    deadline = time.monotonic() + timeout
    meter_seen = False
    first_settled: float | None = None
    while time.monotonic() < deadline and _alive(parent):
        if not meter_seen:
            status, state = client.request("GET", f"/api/states/{METER}")
            if status == HTTPStatus.OK and state["state"] not in {"unknown", "unavailable"}:
                meter_seen = True
                print(
                    f"[demo] {METER} = {state['state']} kWh "
                    f"({time.monotonic() - started:.0f} s after launch)",
                    flush=True,
                )
        status, entries = client.request("GET", "/api/config/config_entries/entry?domain=foresight")
        listed: list[dict[str, Any]] = entries if status == HTTPStatus.OK else []
        settled = [entry for entry in listed if entry["state"] != "setup_in_progress"]
        if settled and first_settled is None:
            first_settled = time.monotonic()
        # Both demo entries (and any other) have settled, or the others are not coming.
        all_settled = len(settled) == len(listed) and {e["title"] for e in settled} >= DEMO_ENTRIES
        waited = first_settled is not None and time.monotonic() - first_settled > ENTRIES_GRACE
        if meter_seen and settled and (all_settled or waited):
            titles = ", ".join(f"{entry['title']} ({entry['state']})" for entry in settled)
            print(
                f"[demo] Foresight entries: {titles} "
                f"({time.monotonic() - started:.0f} s after launch)",
                flush=True,
            )
            return
        time.sleep(2.0)
    if _alive(parent):
        print("[demo] no Foresight entry yet; see the log of custom_components.foresight_demo")


def main() -> int:
    """Onboard, print the banner, report the demo."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8123")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--parent", type=int, help="give up when this process has exited")
    args = parser.parse_args()
    started = time.monotonic()
    client = Client(args.url)
    try:
        steps = wait_for_hass(client, args.timeout, args.parent)
        outcome = onboard(client, steps)
    except (TimeoutError, RuntimeError, OSError) as err:
        print(f"[demo] onboarding skipped: {err}", file=sys.stderr)
        return 1
    line = "=" * 72
    print(
        f"\n{line}\n"
        f"  Home Assistant with Foresight and the demo home: {args.url}\n"
        f"  Log in with  username: {DEV_USERNAME}   password: {DEV_PASSWORD}\n"
        f"  (local development account only; {outcome})\n"
        f"{line}\n",
        flush=True,
    )
    if client.token:
        report_demo(client, started, timeout=300.0, parent=args.parent)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C in scripts/develop reaches this process too
        sys.exit(130)
