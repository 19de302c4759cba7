"""The organizers' dashboard in a real browser (Debian's headless Chromium driven by
Playwright, as for the tracker): the login link signs in once and not twice, a member's link
is refused, Verify pressed on the dashboard counts in /layoff stats and a reload after it
runs nothing again (the action answers with a redirect), and axe-core finds no
serious or critical problem on any page, light or dark; screenshots of each page at phone
and laptop width are saved under ``test-output/web/`` for review."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from storage import members, web_access
from storage.db import Database
from tests.web.test_tracker_browser import SHOTS, WIDTHS, browser, serious_problems
from tests.web_support import OLU, WebRig, web_rig

__all__ = ["browser"]  # the shared fixture, used by name

NAMED = "anonymous:no"
PAGES = {
    "queue": "/dashboard",
    "alerts": "/dashboard/alerts",
    "events": "/dashboard/events",
    "polls": "/dashboard/polls",
    "downloads": "/dashboard/downloads",
    "audit": "/dashboard/audit",
}


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[WebRig]:
    """A dashboard with a report to review, one verified, an alert, an event and a poll."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'dashboard.db'}")
    await database.upgrade()
    async with web_rig(database) as found:
        await found.report(f'"Elm County Library" state:WI workers:3 {NAMED}')
        await found.report(f'"Oak Park Public Library" state:IL workers:12 {NAMED}', verify=False)
        await found.organizer(
            '/alert create title:"Call the board" body:"Tell them no" kind:email states:IL'
        )
        await found.organizer("/alert send id:1")
        await found.organizer(
            '/event create title:"Board meeting" kind:meeting start:"2026-12-01 18:00"'
        )
        await found.bot.say("ana", "/event rsvp id:1 status:going")
        await found.organizer('/poll create question:"Which day?" options:"Tuesday | Thursday"')
        yield found


def login_path(text: str) -> str:
    """The path of the login link in an answer to /dashboard."""
    found = re.search(r"(/dashboard/login/[\w-]+)", text)
    assert found, text
    return found.group(1)


async def signed_in(browser: Browser, rig: WebRig, width: str, scheme: str = "light") -> Page:
    """A browser page signed in with a fresh login link, on the dashboard."""
    w, h = WIDTHS[width]
    context = await browser.new_context(viewport={"width": w, "height": h}, color_scheme=scheme)
    page = await context.new_page()
    await page.goto(rig.url + login_path(await rig.organizer("/dashboard")))
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(rig.url + "/dashboard")
    return page


async def test_the_login_link_signs_in_once_and_not_twice(browser: Browser, rig: WebRig) -> None:
    link = rig.url + login_path(await rig.organizer("/dashboard"))
    first = await (await browser.new_context()).new_page()
    await first.goto(link)
    assert await first.get_by_role("heading", level=1).inner_text() == (
        "Sign in to the Demo Library Workers dashboard"
    )
    assert not await serious_problems(first)
    await first.get_by_role("button", name="Sign in").click()
    await first.wait_for_url(rig.url + "/dashboard")
    assert "Reports to review" in await first.get_by_role("heading", level=1).inner_text()
    second = await (await browser.new_context()).new_page()
    answer = await second.goto(link)
    assert answer is not None and answer.status == 410
    assert "used or expired" in await second.locator("main").inner_text()


async def test_a_members_link_is_refused(browser: Browser, rig: WebRig) -> None:
    org, _ = rig.bot.app.services.orgs.by_slug("demo")
    async with rig.bot.app.db.transaction() as conn:
        ana = await members.ensure_member(conn, "console", "ana", "Ana", org.id)
        signer = web_access.Signer(org.id, ana.id, "console", "demo", "ana", "Ana", (), ())
        now = rig.bot.clock.now()
        token = await web_access.add_login(conn, signer, now, now + timedelta(minutes=10))
    page = await (await browser.new_context()).new_page()
    answer = await page.goto(f"{rig.url}/dashboard/login/{token}")
    assert answer is not None and answer.status == 403
    assert "for organizers" in await page.locator("main").inner_text()
    assert not await page.get_by_role("button", name="Sign in").count()


async def test_verify_on_the_dashboard_counts_in_layoff_stats(
    browser: Browser, rig: WebRig
) -> None:
    before = (await rig.bot.say(OLU, "/layoff stats")).plain_text()
    page = await signed_in(browser, rig, "phone")
    heading = page.get_by_role("heading", name=re.compile("Oak Park Public Library"))
    ref = re.search(r"L-(\d+)", await heading.inner_text()).group(1)  # type: ignore[union-attr]
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    async with page.expect_navigation() as landed:
        await page.get_by_role("button", name=f"Verify L-{ref}").click()
    answer = await landed.value
    # the POST was answered by a redirect: the page shown is a GET of the queue
    assert answer is not None and answer.request.method == "GET"
    assert answer.request.redirected_from is not None
    assert answer.request.redirected_from.method == "POST" and page.url == rig.url + "/dashboard"
    outcome = page.get_by_role("status")
    assert await outcome.inner_text() == f"L-{ref} is now marked verified."
    assert not await page.get_by_role("button", name=f"Verify L-{ref}").count()
    after = (await rig.bot.say(OLU, "/layoff stats")).plain_text()
    assert "15" in after and "15" not in before, (before, after)
    # a reload asks for the page again (no resubmission): the outcome is not shown twice
    reloaded = await page.reload()
    assert reloaded is not None and reloaded.request.method == "GET" and reloaded.status == 200
    assert not await page.get_by_role("status").count()
    assert posts == [rig.url + "/dashboard/act"], posts
    await page.goto(rig.url + "/dashboard/audit")
    log = await page.locator("table").inner_text()
    assert len(re.findall(rf"layoff\.verify\s+L-{ref}\b", log)) == 1, log


@pytest.mark.parametrize("width", list(WIDTHS))
async def test_every_page_passes_axe_and_is_photographed(
    browser: Browser, rig: WebRig, width: str
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page = await signed_in(browser, rig, width, scheme)
        for name, path in PAGES.items():
            answer = await page.goto(rig.url + path)
            assert answer is not None and answer.status == 200, name
            problems = await serious_problems(page)
            assert not problems, (name, scheme, problems)
            if scheme == "light":
                await page.screenshot(
                    path=str(SHOTS / f"dashboard-{name}-{width}.png"), full_page=True
                )
