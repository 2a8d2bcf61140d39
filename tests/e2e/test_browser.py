"""End to end in a real browser: a headless Chromium adds Foresight through Home Assistant's UI.

The test starts ``hass`` with the frontend and the demo home (two months of history), creates
the owner through the onboarding API, then does in Chromium what a user does: logs in on the
login page, opens Settings → Devices & services → Add integration, searches "Foresight", picks
the demo energy meter and the outdoor temperature in the config flow, submits, and opens the
new device. It checks what the pages show and saves screenshots to ``docs/images/``
(``config-flow.png``, ``device-page.png``). When ``FORESIGHT_APEXCHARTS_JS`` names a built
``apexcharts-card.js``, it also puts the card of ``docs/DASHBOARD.md`` on a dashboard and saves
``dashboard.png``.

The browser is Debian's ``chromium`` (``scripts/setup`` installs it), driven by Playwright with
``executable_path``: Playwright's own browser downloads are never used. Without a Chromium the
test is skipped. Run it alone: ``.venv/bin/pytest -m browser tests/e2e`` (about a minute).
Everything stays on 127.0.0.1.
"""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, suppress
from http import HTTPStatus
import logging
import os
from pathlib import Path
import re
import shutil
import time
from typing import Any

from playwright.async_api import (
    BrowserContext,
    Page,
    TimeoutError as PlaywrightTimeoutError,
    ViewportSize,
    async_playwright,
    expect,
)
import pytest
import yaml

from .harness import (
    REPO,
    STARTUP_TIMEOUT,
    STEP_TIMEOUT,
    Api,
    LiveHass,
    foresight_problems,
    onboard_owner,
    open_api,
    running_hass,
    until,
    wait_for_history,
)

_LOGGER = logging.getLogger(__name__)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

# FORESIGHT_SCREENSHOTS puts the pictures elsewhere (a run always rewrites them).
IMAGES = Path(os.environ.get("FORESIGHT_SCREENSHOTS") or REPO / "docs" / "images")
USERNAME = "e2e"
PASSWORD = "e2e-password"  # noqa: S105 - a throwaway owner of a throwaway config
# The frontend (and what it depends on: lovelace, config panels, search, ...) on top of the
# e2e configuration.
FRONTEND_CONFIG = "\nfrontend:\n"
FORECAST_NEXT_HOUR = "sensor.demo_home_energy_forecast_next_hour"
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
UI_TIMEOUT_MS = STEP_TIMEOUT * 1000
# An entity picker is tried this many times (see pick_entity).
PICK_ATTEMPTS = 3
DASHBOARD_DOC = REPO / "docs" / "DASHBOARD.md"
DASHBOARD_URL = "energy-forecast"
APEXCHARTS = "apexcharts-card.js"


def apexcharts_js() -> Path | None:
    """The built ApexCharts card named by ``FORESIGHT_APEXCHARTS_JS``, if any."""
    path = os.environ.get("FORESIGHT_APEXCHARTS_JS")
    return Path(path) if path and Path(path).is_file() else None


def dashboard_card() -> dict[str, Any]:
    """The card documented in docs/DASHBOARD.md: the YAML block after its marker comment."""
    text = DASHBOARD_DOC.read_text()
    found = re.search(r"<!-- dashboard-card.*?-->\n```yaml\n(.*?)\n```", text, re.DOTALL)
    assert found, f"no dashboard-card YAML block in {DASHBOARD_DOC}"
    card = yaml.safe_load(found.group(1))
    assert isinstance(card, dict), card
    return card


def find_chromium() -> str | None:
    """Debian's Chromium (or ``FORESIGHT_CHROMIUM``), if there is one."""
    candidates = [
        os.environ.get("FORESIGHT_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture
def chromium() -> str:
    """The Chromium executable; the test is skipped when there is none."""
    if (path := find_chromium()) is None:
        pytest.skip(
            "no Chromium: install Debian's chromium package (scripts/setup does) "
            "or point FORESIGHT_CHROMIUM at one"
        )
    return path


@pytest.fixture
def browser_hass(chromium: str, tmp_path: Path, socket_enabled: None) -> Iterator[LiveHass]:
    """hass with the frontend and the demo home; only started when there is a Chromium."""
    IMAGES.mkdir(parents=True, exist_ok=True)
    if (js := apexcharts_js()) is not None:
        # /local/ is only served when config/www exists at startup.
        www = tmp_path / "config" / "www"
        www.mkdir(parents=True)
        shutil.copy(js, www / APEXCHARTS)
    with running_hass(tmp_path, FRONTEND_CONFIG) as live:
        yield live


@asynccontextmanager
async def open_browser(chromium: str, profile: Path) -> AsyncIterator[BrowserContext]:
    """Headless Chromium with a fresh profile; closed (and its processes gone) on the way out."""
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            profile,
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport=VIEWPORT,
            locale="en-US",
            timezone_id="Europe/Berlin",
        )
        context.set_default_timeout(UI_TIMEOUT_MS)
        expect.set_options(timeout=UI_TIMEOUT_MS)
        try:
            yield context
        finally:
            await context.close()


async def log_in(page: Page, base: str) -> None:
    """Log in on Home Assistant's own login page and wait for the app."""
    await page.goto(base + "/")
    await page.wait_for_url("**/auth/authorize?**")
    await expect(page.get_by_text("Welcome home!")).to_be_visible()
    await page.get_by_label("Username").fill(USERNAME)
    await page.get_by_label("Password").first.fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(lambda url: "/auth/authorize" not in url)
    await expect(page.get_by_role("link", name="Settings")).to_be_visible()
    # A config whose http settings are new asks to confirm them once (and would revert them
    # after a few minutes otherwise).
    question = page.get_by_text("Confirm new HTTP server configuration")
    try:
        await question.wait_for(timeout=10_000)
    except PlaywrightTimeoutError:
        return
    await page.get_by_role("button", name="Confirm").click()
    await question.wait_for(state="hidden")


async def pick_entity(page: Page, field: int, name: str) -> None:
    """Open the ``field``-th empty entity picker of the dialog and choose ``name``.

    The picker's list filters as it is typed into and renders again; once in CI a click on it
    was lost (the picker closed with nothing chosen), so the choice is checked and made again.
    """
    chosen = page.locator("ha-picker-field").filter(has_text=name)
    for _ in range(PICK_ATTEMPTS):
        await page.get_by_text("Select an entity").nth(field).click()
        # Type into the picker's own search box: keys typed elsewhere are the frontend's
        # shortcuts.
        await page.locator("ha-picker-combo-box input").first.fill(name)
        await page.get_by_text(name, exact=True).click()
        with suppress(AssertionError):
            await expect(chosen).to_be_visible(timeout=5_000)
            return
    await expect(chosen).to_be_visible()


async def show_dashboard(api: Api, page: Page, base: str) -> None:
    """Put the documented ApexCharts card on a new dashboard, open it and screenshot it."""
    await api.ws(
        {"type": "lovelace/resources/create", "res_type": "module", "url": f"/local/{APEXCHARTS}"}
    )
    await api.ws(
        {
            "type": "lovelace/dashboards/create",
            "url_path": DASHBOARD_URL,
            "title": "Energy forecast",
            "icon": "mdi:chart-bell-curve-cumulative",
            "show_in_sidebar": True,
            "require_admin": False,
        }
    )
    card = dashboard_card()
    await api.ws(
        {
            "type": "lovelace/config/save",
            "url_path": DASHBOARD_URL,
            "config": {
                "views": [
                    {"title": "Forecast", "path": "forecast", "type": "panel", "cards": [card]}
                ]
            },
        }
    )
    await page.set_viewport_size({"width": 1280, "height": 720})
    # A fresh load, so that the frontend loads the new resource.
    await page.goto(f"{base}/{DASHBOARD_URL}/forecast")
    await expect(page.get_by_text(card["header"]["title"])).to_be_visible()
    await expect(page.locator("apexcharts-card .apexcharts-svg").first).to_be_visible()
    # The band's two areas, the P50 line and the actual columns.
    series = page.locator("apexcharts-card .apexcharts-series[seriesName]")
    await expect(series).to_have_count(len(card["series"]))
    await page.wait_for_timeout(3000)  # the chart's drawing animation
    # The card's loading spinner turns while it fetches statistics (after every state change).
    await expect(page.locator("apexcharts-card #spinner.lds-ring")).to_have_count(0)
    await page.screenshot(path=IMAGES / "dashboard.png")


async def test_add_foresight_in_the_browser(
    browser_hass: LiveHass, chromium: str, tmp_path: Path
) -> None:
    live = browser_hass
    timings: dict[str, float] = {}

    def mark(step: str) -> None:
        timings[step] = round(time.monotonic() - live.started, 1)

    async with open_api(live) as api:
        await onboard_owner(api, live, USERNAME, PASSWORD, finish=True)
        await wait_for_history(api, live)
        mark("history")

        async with open_browser(chromium, tmp_path / "chromium") as context:
            page = context.pages[0] if context.pages else await context.new_page()
            await log_in(page, live.base)
            mark("logged_in")

            # Settings → Devices & services → Add integration → "Foresight".
            await page.get_by_role("link", name="Settings").click()
            await page.get_by_text("Devices & services", exact=True).first.click()
            await page.wait_for_url("**/config/integrations/dashboard")
            # The floating button: while the config entries still load, the page also shows
            # an empty-state "Add integration" button, and a slow machine can catch that moment.
            fab = page.locator('ha-button[slot="fab"]')
            await fab.get_by_role("button", name="Add integration").click()
            brands = page.locator("dialog-add-integration")
            await brands.locator("input").first.fill("Foresight")
            await brands.get_by_text("Foresight", exact=True).click()

            # The config flow's user step, with its translated title and labels.
            await expect(page.get_by_text("Choose what to predict")).to_be_visible()
            await expect(page.get_by_text("Sensor to predict")).to_be_visible()
            await pick_entity(page, 0, "Demo home energy")
            await pick_entity(page, 0, "Demo outdoor temperature")
            for picked in ("Demo home energy", "Demo outdoor temperature"):
                field = page.locator("ha-picker-field").filter(has_text=picked)
                await expect(field).to_be_visible()
            await page.wait_for_timeout(500)  # let the pickers settle for the picture
            await page.screenshot(path=IMAGES / "config-flow.png")
            mark("flow_filled")
            await page.get_by_role("button", name="Submit").click()

            # The flow ends in "Name and assign" for the new device.
            await expect(page.get_by_text("Forecast and anomaly model").first).to_be_visible()
            await page.get_by_role("button", name="Skip and finish").click()
            mark("entry_created")

            async def entry_loaded() -> str | None:
                _, entries = await api.call(
                    "GET", "/api/config/config_entries/entry?domain=foresight"
                )
                states = {entry["state"] for entry in entries}
                assert not states & {"setup_error", "setup_retry"}, entries
                return entries[0]["entry_id"] if states == {"loaded"} else None

            entry_id = await until("the entry to load", entry_loaded, live, STARTUP_TIMEOUT)
            entry = next(
                item
                for item in await api.ws({"type": "config_entries/get", "domain": "foresight"})
                if item["entry_id"] == entry_id
            )
            assert entry["title"] == "Demo home energy"
            # The entities behind what the page will show, named after the picked meter.
            status, forecast = await api.call("GET", f"/api/states/{FORECAST_NEXT_HOUR}")
            assert status == HTTPStatus.OK, forecast
            assert len(forecast["attributes"]["forecast"]) >= 24, forecast
            mark("entry_loaded")

            # The integration's page, then the device with its entities.
            await page.get_by_text("Foresight", exact=True).click()
            await page.get_by_text("Forecast and anomaly model").first.click()
            await page.wait_for_url("**/config/devices/device/**")
            for name in ("Forecast next hour", "Forecast tomorrow", "Anomaly"):
                await expect(page.get_by_text(name, exact=True).first).to_be_visible()
            await expect(page.get_by_text("Demo home energy").first).to_be_visible()
            await page.set_viewport_size({"width": 1280, "height": 1000})
            await page.wait_for_timeout(1000)  # states and the logbook fill in
            await page.screenshot(path=IMAGES / "device-page.png")
            mark("device_page")

            if apexcharts_js() is None:
                _LOGGER.info("FORESIGHT_APEXCHARTS_JS is not set: no dashboard screenshot")
            else:
                await show_dashboard(api, page, live.base)
                mark("dashboard")

    for image in ("config-flow.png", "device-page.png"):
        assert (IMAGES / image).stat().st_size > 10_000, image
    assert not foresight_problems(live.log_text())
    _LOGGER.info("browser e2e timings, seconds after launch: %s", timings)
