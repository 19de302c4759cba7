"""The organizers' dashboard through the real web adapter, on both databases: the one-time
login link (shown by GET, spent by POST, once, for ten minutes), the session cookie's flags,
the role checked on every request, form tokens, actions through the dispatcher (audited,
counted in /layoff stats, another organization's ids refused) answered by a redirect whose
page shows the outcome once, its pages and CSV downloads, signing out, and /privacy export
and delete."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie

import aiohttp
from sqlalchemy import select

from adapters.web import flash as flash_cookie
from storage import members, web_access
from storage import orgs as org_store
from storage.db import Database
from storage.models import AuditEntry, LayoffReport, OutboxMessage, WebLogin, WebSession
from tests.support import Person
from tests.web_support import OLU, WebRig, tracker_config, web_rig

NAMED = "anonymous:no"
#: a login link; the tests' server listens on a port chosen at start, so only its path is used
LINK = re.compile(r"http://\S+?(/dashboard/login/(\S+))")


@dataclass
class Answer:
    """An HTTP answer: status, Set-Cookie of the session (raw), Location and text."""

    status: int
    cookie: str
    location: str
    text: str


async def call(
    rig: WebRig,
    method: str,
    path: str,
    *,
    session: str = "",
    form: dict[str, str] | None = None,
    flash: str = "",
) -> Answer:
    """One request, cookies handled by hand (a cookie jar keeps none for a bare address)."""
    cookies = [f"rallybot_dashboard={session}"] if session else []
    cookies += [f"rallybot_dashboard_flash={flash}"] if flash else []
    headers = {"Cookie": "; ".join(cookies)} if cookies else {}
    url = path if path.startswith("http") else rig.url + path
    async with rig.session.request(
        method, url, headers=headers, data=form, allow_redirects=False
    ) as response:
        return Answer(
            response.status,
            response.headers.get("Set-Cookie", ""),
            response.headers.get("Location", ""),
            await response.text(),
        )


def link_of(text: str) -> str:
    """The login link in an answer to /dashboard."""
    found = LINK.search(text)
    assert found, text
    return found.group(1)


async def sign_in(rig: WebRig, who: Person = OLU) -> str:
    """Ask for a link as ``who`` at the console and sign in with it; the session token."""
    link = link_of(ok_text(await rig.bot.say(who, "/dashboard")))
    answer = await call(rig, "POST", link)
    assert answer.status == 303, answer.text
    cookie = SimpleCookie(answer.cookie)
    return cookie["rallybot_dashboard"].value


async def act(rig: WebRig, session: str, form: dict[str, str]) -> str:
    """Press a button of the reports queue: the POST answers 303 to the queue with the
    outcome in a flash cookie; the queue's page as the redirect shows it."""
    answer = await call(rig, "POST", "/dashboard/act", session=session, form=form)
    assert answer.status == 303 and answer.location == "/dashboard", answer.text
    flash = SimpleCookie(answer.cookie)["rallybot_dashboard_flash"].value
    page = await call(rig, "GET", "/dashboard", session=session, flash=flash)
    assert page.status == 200
    return page.text


def ok_text(reply: object) -> str:
    """The text of an answer that was not a refusal."""
    text = str(getattr(reply, "text", ""))
    assert not getattr(reply, "error", True), text
    return text


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', page)
    assert found, page[:500]
    return found.group(1)


async def test_the_link_shows_a_button_and_signs_in_once_with_a_safe_cookie(
    database: Database,
) -> None:
    async with web_rig(database) as rig:
        reply = await rig.bot.say(OLU, "/dashboard")
        assert not reply.error and reply.no_previews, reply.text
        link = link_of(str(reply.text))
        token = LINK.search(str(reply.text)).group(2)  # type: ignore[union-attr]
        assert "works once, for 10 minutes" in str(reply.text)
        for _ in range(2):  # a link preview's GET spends nothing
            shown = await call(rig, "GET", link)
            assert shown.status == 200 and "Sign in" in shown.text and not shown.cookie
        signed = await call(rig, "POST", link)
        assert signed.status == 303 and signed.location == "/dashboard"
        flags = signed.cookie.lower()
        assert "httponly" in flags and "samesite=lax" in flags and "path=/dashboard" in flags
        assert "max-age=43200" in flags and "secure" not in flags
        session = SimpleCookie(signed.cookie)["rallybot_dashboard"].value
        async with database.reading() as conn:
            stored = (await conn.execute(select(WebSession.token_hash))).scalars().all()
        assert stored == [web_access.token_hash(session)] and token not in stored
        home = await call(rig, "GET", "/dashboard", session=session)
        assert home.status == 200 and "Reports to review" in home.text
        again = await call(rig, "POST", link)
        assert again.status == 410 and not again.cookie
        assert (await call(rig, "GET", link)).status == 410


async def test_behind_https_the_cookie_is_secure_and_the_link_uses_base_url(
    database: Database,
) -> None:
    config = tracker_config()
    config.web.base_url = "https://rally.example.org"
    async with web_rig(database, config) as rig:
        text = await rig.organizer("/dashboard")
        found = re.search(r"https://rally\.example\.org/dashboard/login/(\S+)", text)
        assert found, text
        signed = await call(rig, "POST", f"/dashboard/login/{found.group(1)}")
        assert signed.status == 303 and "secure" in signed.cookie.lower()
        session = SimpleCookie(signed.cookie)["rallybot_dashboard"].value
        csrf = csrf_of((await call(rig, "GET", "/dashboard", session=session)).text)
        form = {"csrf": csrf, "action": "verify", "id": "1"}
        acted = await call(rig, "POST", "/dashboard/act", session=session, form=form)
        assert acted.status == 303 and "rallybot_dashboard_flash=" in acted.cookie
        assert "secure" in acted.cookie.lower()  # the outcome's cookie too


async def test_an_expired_link_is_refused(database: Database) -> None:
    async with web_rig(database) as rig:
        link = link_of(await rig.organizer("/dashboard"))
        rig.bot.clock.advance(timedelta(minutes=10, seconds=1))
        assert (await call(rig, "GET", link)).status == 410
        answer = await call(rig, "POST", link)
        assert answer.status == 410 and "Type /dashboard" in answer.text and not answer.cookie


async def test_a_member_is_refused_and_a_members_link_signs_no_one_in(
    database: Database,
) -> None:
    async with web_rig(database) as rig:
        reply = await rig.bot.say("ana", "/dashboard")
        assert reply.error and "needs the organizer role" in str(reply.text)
        async with database.transaction() as conn:
            org, _ = rig.bot.app.services.orgs.by_slug("demo")
            ana = await members.ensure_member(conn, "console", "ana", "Ana", org.id)
            signer = web_access.Signer(org.id, ana.id, "console", "demo", "ana", "Ana", (), ())
            now = rig.bot.clock.now()
            token = await web_access.add_login(conn, signer, now, now + timedelta(minutes=10))
        for method in ("GET", "POST"):
            answer = await call(rig, method, f"/dashboard/login/{token}")
            assert answer.status == 403 and "for organizers" in answer.text
            assert not answer.cookie
        assert await rig.bot.count(WebSession) == 0


async def test_an_organizer_demoted_since_is_signed_out(database: Database) -> None:
    async with web_rig(database) as rig:
        org, _ = rig.bot.app.services.orgs.by_slug("demo")
        async with database.transaction() as conn:
            ana = await members.ensure_member(conn, "console", "ana", "Ana", org.id)
            await org_store.grant_role(conn, org.id, ana.id, "organizer")
        session = await sign_in(rig, Person("ana"))
        link = link_of(ok_text(await rig.bot.say("ana", "/dashboard")))
        assert (await call(rig, "GET", "/dashboard", session=session)).status == 200
        async with database.transaction() as conn:
            await org_store.grant_role(conn, org.id, ana.id, None)
        rig.bot.app.services.members.forget("console", "ana", org.id)
        for path in ("/dashboard", "/dashboard/alerts", "/dashboard/audit"):
            answer = await call(rig, "GET", path, session=session)
            assert answer.status == 403, path
        assert (await call(rig, "POST", link)).status == 403


async def test_forms_need_the_sessions_token(database: Database) -> None:
    async with web_rig(database) as rig:
        ref = await rig.report(f'"Oak Park PL" state:IL workers:12 {NAMED}', verify=False)
        session = await sign_in(rig)
        other = await sign_in(rig)
        page = (await call(rig, "GET", "/dashboard", session=session)).text
        assert f"L-{ref}: Oak Park PL" in page
        wrong = csrf_of((await call(rig, "GET", "/dashboard", session=other)).text)
        for form in (
            {"action": "verify", "id": str(ref)},
            {"action": "verify", "id": str(ref), "csrf": wrong},
        ):
            answer = await call(rig, "POST", "/dashboard/act", session=session, form=form)
            assert answer.status == 403 and "nothing was changed" in answer.text
        answer = await call(
            rig, "POST", "/dashboard/act", form={"action": "verify", "id": str(ref)}
        )
        assert answer.status == 401
        async with database.reading() as conn:
            status = await conn.execute(select(LayoffReport.status))
            assert status.scalar_one() == "pending"


async def test_verify_from_the_dashboard_counts_in_stats_and_is_audited(
    database: Database,
) -> None:
    async with web_rig(database) as rig:
        ref = await rig.report(f'"Oak Park PL" state:IL workers:12 {NAMED}', verify=False)
        dup = await rig.report(
            f'"Oak Park Public Library" state:IL workers:12 {NAMED}', verify=False
        )
        session = await sign_in(rig)
        csrf = csrf_of((await call(rig, "GET", "/dashboard", session=session)).text)
        form = {"csrf": csrf, "action": "verify", "id": str(ref)}
        shown = await act(rig, session, form)
        assert f"L-{ref} is now marked verified." in shown
        assert f"L-{ref}: Oak Park PL" not in shown
        before = (await rig.bot.say(OLU, "/layoff stats")).plain_text()
        assert "Oak Park PL" not in before
        stats = (await rig.bot.say(OLU, "/layoff stats")).plain_text()
        assert re.search(r"\b12\b", stats), stats
        form = {"csrf": csrf, "action": "duplicate", "id": str(dup), "of": f"L-{ref}"}
        assert f"duplicate of L-{ref}" in await act(rig, session, form)
        async with database.reading() as conn:
            actions = (await conn.execute(select(AuditEntry.action))).scalars().all()
        assert {"layoff.verify", "layoff.duplicate", "dashboard.link", "dashboard.sign_in"} <= set(
            actions
        )
        audit = await call(rig, "GET", "/dashboard/audit", session=session)
        assert "layoff.verify" in audit.text and f"L-{ref}" in audit.text
        assert (await call(rig, "GET", "/dashboard/audit?page=x", session=session)).status == 400


async def test_an_action_redirects_and_its_outcome_is_shown_once(database: Database) -> None:
    async with web_rig(database) as rig:
        ref = await rig.report(f'"Oak Park PL" state:IL workers:12 {NAMED}', verify=False)
        link = link_of(await rig.organizer("/dashboard"))
        # a browser-like client: its cookie jar keeps the cookies of 127.0.0.1
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
            async with browser.post(rig.url + link) as signed:
                assert signed.status == 200 and signed.url.path == "/dashboard"
                csrf = csrf_of(await signed.text())
            form = {"csrf": csrf, "action": "verify", "id": str(ref)}
            async with browser.post(
                rig.url + "/dashboard/act", data=form, allow_redirects=False
            ) as answer:
                assert answer.status == 303 and answer.headers["Location"] == "/dashboard"
                assert answer.headers["Cache-Control"] == "no-store"
                raw = answer.headers["Set-Cookie"]
            flags = raw.lower()
            assert raw.startswith("rallybot_dashboard_flash=") and len(raw) < 4096
            assert "httponly" in flags and "samesite=lax" in flags and "path=/dashboard" in flags
            assert "max-age=60" in flags and "secure" not in flags
            async with browser.get(rig.url + "/dashboard") as shown:
                text = await shown.text()
                assert shown.status == 200
                assert f'role="status">L-{ref} is now marked verified.</p>' in text
                assert f"L-{ref}: Oak Park PL" not in text
                deleted = shown.headers["Set-Cookie"].lower()
                assert deleted.startswith("rallybot_dashboard_flash=") and "max-age=0" in deleted
            async with browser.get(rig.url + "/dashboard") as again:  # a reload: a GET
                text = await again.text()
                assert again.status == 200 and "is now marked verified" not in text
                assert 'role="status"' not in text and "Set-Cookie" not in again.headers
        async with database.reading() as conn:
            actions = (await conn.execute(select(AuditEntry.action))).scalars().all()
        assert actions.count("layoff.verify") == 1, actions

        # the flash of one session shows nothing to another, altered or stale
        session, other = await sign_in(rig), await sign_in(rig)
        ref = await rig.report(f'"Elm PL" state:WI workers:3 {NAMED}', verify=False)
        csrf = csrf_of((await call(rig, "GET", "/dashboard", session=session)).text)
        form = {"csrf": csrf, "action": "reject", "id": str(ref)}
        answer = await call(rig, "POST", "/dashboard/act", session=session, form=form)
        flash = SimpleCookie(answer.cookie)["rallybot_dashboard_flash"].value
        said = f"L-{ref} is now marked rejected."
        assert said in (await call(rig, "GET", "/dashboard", session=session, flash=flash)).text
        body, _, signature = flash.partition(".")
        altered = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + signature
        for who, value in ((other, flash), (session, altered), (session, "junk")):
            page = await call(rig, "GET", "/dashboard", session=who, flash=value)
            assert page.status == 200 and said not in page.text and 'role="status"' not in page.text
            assert "max-age=0" in page.cookie.lower()  # and it is deleted all the same
        rig.bot.clock.advance(timedelta(seconds=61))
        stale = await call(rig, "GET", "/dashboard", session=session, flash=flash)
        assert stale.status == 200 and said not in stale.text


def test_a_long_outcome_is_capped_to_fit_a_cookie() -> None:
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    lines = [f"L-{n}: " + "é" * 300 for n in range(40)]
    value = flash_cookie.value_of("token", flash_cookie.Outcome(lines, True), now)
    assert len(value) <= flash_cookie.MAX_VALUE
    shown = flash_cookie.read("token", value, now)
    assert shown is not None and shown.error and shown.lines[-1] == flash_cookie.MORE
    assert shown.lines[0].startswith("L-0: éé") and len(shown.lines) > 2
    assert flash_cookie.read("other token", value, now) is None
    assert flash_cookie.read("token", value, now + timedelta(seconds=61)) is None


async def test_another_organizations_report_is_refused(database: Database) -> None:
    async with web_rig(database) as rig:
        theirs = Person("UWI1", platform="slack", space="TWI")
        reply = await rig.bot.say(theirs, f'/layoff report "Madison PL" state:WI {NAMED}')
        ref = int(re.search(r"L-(\d+)", str(reply.text)).group(1))  # type: ignore[union-attr]
        session = await sign_in(rig)
        page = (await call(rig, "GET", "/dashboard", session=session)).text
        assert "Madison PL" not in page
        form = {"csrf": csrf_of(page), "action": "verify", "id": str(ref)}
        shown = await act(rig, session, form)
        assert 'class="outcome refused"' in shown and "refused" in shown
        assert f"L-{ref} is now" not in shown
        steward = Person("UWIORG", platform="slack", space="TWI")
        made = await rig.bot.say(
            steward, '/event create title:"WI rally" kind:rally start:"2026-12-01 18:00"'
        )
        assert not made.error, made.text
        event_id = re.search(r"(\d+)", str(made.text)).group(1)  # type: ignore[union-attr]
        event = await call(rig, "GET", f"/dashboard/events/{event_id}", session=session)
        assert event.status == 404 and "WI rally" not in event.text
        form = {"csrf": csrf_of(page), "command": "event attendees", "id": event_id}
        csv = await call(rig, "POST", "/dashboard/download", session=session, form=form)
        assert csv.status == 404 and "WI rally" not in csv.text
        events = await call(rig, "GET", "/dashboard/events", session=session)
        assert "WI rally" not in events.text
        form = {"csrf": csrf_of(page), "command": "layoff export; drop", "id": "1"}
        bad = await call(rig, "POST", "/dashboard/download", session=session, form=form)
        assert bad.status == 400 and "is not a download" in bad.text
        async with database.reading() as conn:
            status = await conn.execute(select(LayoffReport.status))
            assert status.scalar_one() == "pending"


async def test_pages_show_alerts_events_polls_and_downloads(database: Database) -> None:
    async with web_rig(database) as rig:
        await rig.report(f'"Oak Park PL" state:IL city:"Oak Park" workers:12 {NAMED}')
        alert = await rig.organizer(
            '/alert create title:"Call the board" body:"Tell them no" kind:email states:IL'
        )
        alert_id = re.search(r"(\d+)", alert).group(1)  # type: ignore[union-attr]
        await rig.organizer(f"/alert send id:{alert_id}")
        event = await rig.organizer(
            '/event create title:"Board meeting" kind:meeting start:"2026-12-01 18:00" capacity:1'
        )
        event_id = re.search(r"(\d+)", event).group(1)  # type: ignore[union-attr]
        await rig.bot.say("ana", f"/event rsvp id:{event_id} status:going")
        await rig.bot.say("ben", f"/event rsvp id:{event_id} status:going")
        await rig.organizer('/poll create question:"Strike?" options:"Yes | No"')
        session = await sign_in(rig)
        alerts = await call(rig, "GET", "/dashboard/alerts", session=session)
        assert alerts.status == 200 and "Call the board" in alerts.text
        events = await call(rig, "GET", "/dashboard/events", session=session)
        assert "Board meeting" in events.text and "1 of 1" in events.text
        assert re.search(r"waitlisted</dt><dd>1<", events.text), events.text
        detail = await call(rig, "GET", f"/dashboard/events/{event_id}", session=session)
        assert detail.status == 200 and "Board meeting" in detail.text
        missing = await call(rig, "GET", "/dashboard/events/999999", session=session)
        assert missing.status == 404
        polls = await call(rig, "GET", "/dashboard/polls", session=session)
        assert "Strike?" in polls.text
        downloads = await call(rig, "GET", "/dashboard/downloads", session=session)
        form = {"csrf": csrf_of(downloads.text), "command": "layoff export"}
        async with rig.session.post(
            rig.url + "/dashboard/download",
            data=form,
            headers={"Cookie": f"rallybot_dashboard={session}"},
        ) as response:
            assert response.status == 200 and response.content_type == "text/csv"
            assert "attachment" in response.headers["Content-Disposition"]
            assert "Oak Park PL" in await response.text()


async def test_sign_out_and_sign_out_everywhere(database: Database) -> None:
    async with web_rig(database) as rig:
        first, second, third = [await sign_in(rig) for _ in range(3)]
        csrf = csrf_of((await call(rig, "GET", "/dashboard", session=first)).text)
        out = await call(rig, "POST", "/dashboard/signout", session=first, form={"csrf": csrf})
        assert out.status == 200 and "rallybot_dashboard=" in out.cookie
        assert (await call(rig, "GET", "/dashboard", session=first)).status == 401
        assert (await call(rig, "GET", "/dashboard", session=second)).status == 200
        csrf = csrf_of((await call(rig, "GET", "/dashboard", session=second)).text)
        out = await call(
            rig, "POST", "/dashboard/signout-everywhere", session=second, form={"csrf": csrf}
        )
        assert out.status == 200 and "2 sessions ended" in out.text
        for session in (second, third):
            assert (await call(rig, "GET", "/dashboard", session=session)).status == 401


async def test_privacy_export_and_delete_cover_sessions_and_links(database: Database) -> None:
    async with web_rig(database) as rig:
        session = await sign_in(rig)
        await rig.organizer("/dashboard")
        reply = await rig.bot.say(OLU, "/privacy export")
        exported = json.loads(reply.files[0].data)["dashboard"]
        assert sorted(e["kind"] for e in exported) == [
            "dashboard session", "login link", "login link",
        ]  # fmt: skip
        assert session not in reply.files[0].data.decode()
        await rig.bot.say(OLU, "/privacy delete confirm:yes")
        assert await rig.bot.count(WebSession) == 0
        assert (await call(rig, "GET", "/dashboard", session=session)).status == 401


async def test_in_a_chat_channel_the_link_goes_by_dm_without_previews(
    database: Database,
) -> None:
    config = tracker_config()
    config.orgs[0].organizers.slack_usergroups.append("SORGS")
    async with web_rig(database, config) as rig:
        organizer = Person("UDEMOORG", platform="slack", roles=frozenset({"SORGS"}))
        reply = await rig.bot.say(organizer, "/dashboard")
        assert "sent you a sign-in link by direct message" in str(reply.text)
        assert "/dashboard/login/" not in str(reply.text)
        async with database.reading() as conn:
            row = (await conn.execute(select(OutboxMessage))).one()
        payload = json.loads(row.payload)
        assert row.target_kind == "user" and row.target == "UDEMOORG"
        assert payload["no_previews"] is True and "/dashboard/login/" in payload["text"]


async def test_expired_links_and_sessions_are_deleted_when_due(database: Database) -> None:
    async with web_rig(database) as rig:
        await sign_in(rig)
        await rig.organizer("/dashboard")
        assert await rig.bot.count(WebSession) == 1 and await rig.bot.count(WebLogin) == 2
        rig.bot.clock.advance(timedelta(hours=12, minutes=59))
        await rig.bot.app.scheduler.run_due()
        assert await rig.bot.count(WebSession) == 1
        rig.bot.clock.advance(timedelta(hours=1))
        await rig.bot.app.scheduler.run_due()
        assert await rig.bot.count(WebSession) == 0 and await rig.bot.count(WebLogin) == 0


async def test_login_links_are_limited_per_address(database: Database) -> None:
    async with web_rig(database, per_minute=1, burst=2) as rig:
        answers = [(await call(rig, "GET", "/dashboard/login/guess")).status for _ in range(3)]
        assert answers == [410, 410, 429]
