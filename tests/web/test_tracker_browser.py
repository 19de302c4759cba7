"""The public tracker in a real browser: Debian's headless Chromium driven by Playwright
(never a browser Playwright downloads). The page shows its numbers and its map, its filters
and map tiles narrow it, axe-core (bundled by axe-playwright-python) finds no serious or
critical accessibility problem in light or dark, and screenshots at phone and laptop width
are saved under ``test-output/web/`` for review. Outside CI a machine without
``/usr/bin/chromium`` skips these tests, saying why; in CI (``CI`` set) they must run."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, async_playwright

from storage.db import Database
from tests.support import ROOT
from tests.web_support import WebRig, web_rig

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "test-output" / "web"
WIDTHS = {"phone": (390, 844), "laptop": (1280, 900)}
NAMED = "anonymous:no"

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip(
        f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run "
        "the browser tests; CI installs it (.ci/run)",
        allow_module_level=True,
    )


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Headless Chromium from the system's packages (``--no-sandbox``: tests run as root)."""
    async with async_playwright() as playwright:
        found = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            yield found
        finally:
            await found.close()


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[WebRig]:
    """A tracker with reports in two states, one of them a closure the year before."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'browser.db'}")
    await database.upgrade()
    async with web_rig(database) as found:
        await found.report(
            f'"Oak Park Public Library" city:"Oak Park" state:IL workers:12 '
            f"library_type:public source:https://news.example/oak {NAMED}"
        )
        await found.report(
            f'"Evanston Public Library" city:Evanston state:IL workers:5 kind:furlough '
            f"library_type:public source:https://news.example/ev {NAMED}"
        )
        await found.report(
            f'"UW Madison Libraries" city:Madison state:WI workers:30 kind:closure '
            f"effective_date:2025-06-01 library_type:academic "
            f"source:https://news.example/uw {NAMED}"
        )
        yield found


async def open_page(browser: Browser, url: str, width: str, scheme: str = "light") -> Page:
    w, h = WIDTHS[width]
    context = await browser.new_context(viewport={"width": w, "height": h}, color_scheme=scheme)
    page = await context.new_page()
    await page.goto(url)
    return page


async def serious_problems(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each."""
    results = await Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


async def test_the_tracker_shows_its_numbers_and_map_at_phone_and_laptop_width(
    browser: Browser, rig: WebRig
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        for scheme in ("light", "dark"):
            page = await open_page(browser, f"{rig.url}/o/demo/layoffs", width, scheme)
            assert await page.text_content("#total-reports") == "3"
            assert await page.text_content("#total-workers") == "47"
            assert await page.text_content("#total-libraries") == "3"
            illinois = page.locator('svg.map a[aria-label="Illinois: 2 reports, 17 workers"]')
            assert await illinois.count() == 1 and await illinois.is_visible()
            assert await page.locator("#report-table tbody tr").count() == 3
            assert await page.locator("svg.chart rect.bar").count() == 2
            await page.screenshot(path=str(SHOTS / f"tracker-{width}-{scheme}.png"), full_page=True)
            assert await serious_problems(page) == []
            await page.context.close()


async def test_filters_and_map_tiles_narrow_the_tracker(browser: Browser, rig: WebRig) -> None:
    page = await open_page(browser, f"{rig.url}/o/demo/layoffs", "phone")
    await page.select_option("#state", "WI")
    await page.click("button[type=submit]")
    await page.wait_for_url("**state=WI**")
    assert await page.text_content("h1") == "Library layoffs in Wisconsin"
    assert await page.text_content("#total-reports") == "1"
    assert await page.text_content("#report-table tbody") is not None
    assert "UW Madison Libraries" in (await page.text_content("#report-table tbody") or "")
    await page.click('svg.map a[aria-label^="Illinois"]')
    await page.wait_for_url("**state=IL**")
    assert await page.text_content("#total-reports") == "2"
    await page.select_option("#kind", "furlough")
    await page.click("button[type=submit]")
    await page.wait_for_url("**kind=furlough**")
    assert await page.text_content("#total-reports") == "1"
    assert "Evanston" in (await page.text_content("#report-table tbody") or "")
    await page.select_option("#state", "")
    await page.select_option("#kind", "")
    await page.select_option("#year", "2025")
    await page.click("button[type=submit]")
    await page.wait_for_url("**year=2025**")
    assert await page.text_content("#total-reports") == "1"
    await page.screenshot(path=str(SHOTS / "tracker-phone-filtered.png"), full_page=True)
    assert await serious_problems(page) == []
    await page.context.close()
