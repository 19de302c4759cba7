"""The public layoff tracker through the real web adapter, on both databases: what it shows
(verified public reports only, never a reporter), publish and unpublish, the 404 of an
organization without a tracker, filters and their refusals, pages, JSON and CSV, caching with
ETag and Last-Modified, and the per-address limit."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.reply import encode_action
from storage import layoffs as store
from storage import members
from storage.db import Database
from storage.models import AuditEntry, OutboxMessage
from tests.support import START, ConsoleBot, Person
from tests.web_support import OLU, tracker_config, web_rig

NAMED = "anonymous:no"


async def test_only_verified_public_reports_show_and_never_who_sent_them(
    database: Database,
) -> None:
    async with web_rig(database) as rig:
        await rig.report(
            f'"Oak Park PL" state:IL city:"Oak Park" workers:12 kind:furlough '
            f'source:https://news.example/oak {NAMED} details:"my manager Pat said so"',
            "ana",
        )
        await rig.report('"Elm County Library" state:WI workers:3 source:https://n.example/e')
        await rig.report(f'"Quiet Branch" state:IL workers:40 {NAMED}')  # no source link
        await rig.report(
            f'"Pending Library" state:IL workers:99 source:https://n.example/p {NAMED}',
            verify=False,
        )
        rejected = await rig.report(
            f'"Rejected Library" state:IL source:https://n.example/r {NAMED}', verify=False
        )
        await rig.organizer(f"/layoff reject id:{rejected}")
        page = await rig.page()
        assert "Oak Park PL" in page and "Elm County Library" in page
        for hidden in ("Quiet Branch", "Pending Library", "Rejected Library", "Ana", "Pat"):
            assert hidden not in page, hidden
        assert re.search(r'id="total-reports">2<', page)
        assert re.search(r'id="total-workers">15<', page)
        assert re.search(r'id="total-libraries">2<', page)
        assert 'aria-label="Illinois: 1 report, 12 workers"' in page
        data = await rig.data()
        assert data["totals"] == {"reports": 2, "workers": 15, "libraries": 2}
        assert {r["employer"] for r in data["reports"]} == {"Oak Park PL", "Elm County Library"}
        assert set(data["reports"][0]) == {
            "employer", "city", "state", "month", "workers", "kind", "source",
        }  # fmt: skip
        assert {t["label"]: t["reports"] for t in data["by_kind"]} == {"furlough": 1, "layoff": 1}
        status, headers, body = await rig.get("/o/demo/layoffs.csv")
        assert status == 200 and headers["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(body.decode())))
        assert sorted(r["employer"] for r in rows) == ["Elm County Library", "Oak Park PL"]
        assert "Ana" not in body.decode() and "Pat" not in body.decode()


async def test_an_organizer_publishes_a_report_without_a_source_and_a_member_cannot(
    database: Database,
) -> None:
    async with web_rig(database) as rig:
        ref = await rig.report(f'"Quiet Branch" state:IL workers:40 {NAMED}')
        pending = await rig.report(f'"Not Yet" state:IL {NAMED}', verify=False)
        refused = await rig.bot.say("ana", f"/layoff publish id:{ref}")
        assert refused.error and "organizer" in refused.text
        refused = await rig.bot.say(OLU, f"/layoff publish id:{pending}")
        assert refused.error and refused.text.startswith("id: ") and "pending" in refused.text
        assert "Quiet Branch" not in await rig.page()
        said = await rig.organizer(f"/layoff publish id:L-{ref}")
        assert "now appears on the public tracker" in said
        assert "http://127.0.0.1:0/o/demo/layoffs" in said
        assert "Quiet Branch" in await rig.page()
        assert "already shown" in await rig.organizer(f"/layoff publish id:{ref}")
        await rig.organizer(f"/layoff unpublish id:{ref}")
        assert "Quiet Branch" not in await rig.page()
        sourced = await rig.report(f'"Linked" state:IL source:https://n.example/l {NAMED}')
        assert "appears on the public tracker anyway" in await rig.organizer(
            f"/layoff unpublish id:{sourced}"
        )
        async with rig.bot.app.db.reading() as conn:
            actions = (await conn.execute(select(AuditEntry.action))).scalars().all()
        assert "layoff.publish" in actions and "layoff.unpublish" in actions


async def test_a_report_of_another_organization_cannot_be_published_by_its_reference(
    database: Database,
) -> None:
    async with web_rig(database) as rig:
        wisconsin = Person("wiorg", platform="slack", space="TWI")
        other = await rig.report(f'"Madison PL" state:WI {NAMED}', wisconsin, verify=False)
        refused = await rig.bot.say(OLU, f"/layoff publish id:{other}")
        assert refused.error and refused.text == f"id: no report L-{other} here"


async def test_an_organization_without_a_public_tracker_answers_like_an_unknown_one(
    database: Database,
) -> None:
    async with web_rig(database) as rig:
        answers = [
            await rig.get(path)
            for path in (
                "/o/wi-library-workers/layoffs",
                "/o/wi-library-workers/layoffs.json",
                "/o/no-such-org/layoffs",
            )
        ]
        assert {status for status, _, _ in answers} == {404}
        assert len({body for _, _, body in answers}) == 1


async def test_filters_narrow_the_reports_and_bad_ones_are_refused_by_name(
    database: Database,
) -> None:
    async with web_rig(database) as rig:
        await rig.report(f'"A" state:IL kind:closure source:https://n.example/a {NAMED}')
        await rig.report(
            f'"B" state:IL effective_date:2025-12-01 source:https://n.example/b {NAMED}'
        )
        await rig.report(f'"C" state:WI source:https://n.example/c {NAMED}')
        assert {r["employer"] for r in (await rig.data("?state=il"))["reports"]} == {"A", "B"}
        assert [r["employer"] for r in (await rig.data("?kind=closure"))["reports"]] == ["A"]
        assert [r["employer"] for r in (await rig.data("?year=2025"))["reports"]] == ["B"]
        assert (await rig.data("?state=WI&year=2025"))["reports"] == []
        page = await rig.page("/o/demo/layoffs?state=WI")
        assert "Library layoffs in Wisconsin" in page and '<option value="WI" selected>' in page
        for query, named in (
            ("state=ZZ", "state: must be a US state"),
            ("kind=strike", "kind: must be one of layoff"),
            ("year=20x5", "year: must be a year from 1990"),
            ("year=3000", "year: must be a year from 1990"),
            ("page=0", "page: must be a whole number"),
            ("state=IL&state=WI", "state: give it once"),
        ):
            status, _, body = await rig.get(f"/o/demo/layoffs?{query}")
            assert status == 400, query
            assert named in body.decode(), (query, body[:300])
        status, _, body = await rig.get("/o/demo/layoffs.json?year=1800")
        assert status == 400 and json.loads(body)["parameter"] == "year"


async def test_reports_come_in_pages_of_fifty(database: Database) -> None:
    async with web_rig(database) as rig:
        org = rig.bot.app.services.orgs.by_slug("demo")[0]
        async with rig.bot.app.db.transaction() as conn:
            olu = await members.ensure_member(conn, "console", "olu", "Olu", org.id)
            for i in range(60):
                report_id, _ = await store.add_report(
                    conn,
                    store.NewReport(
                        employer=f"Library {i:02}", library_type="public", city=None,
                        state="IL", kind="layoff", workers=1, org_id=org.id,
                        classifications=[], effective_date=date(2026, 1, 1) + timedelta(i),
                        source=f"https://n.example/{i}", schedule=None, union=None,
                        details=None, anonymous=True, ok_to_contact=False,
                        reporter_member_id=None, possible_duplicate_of=None,
                        received_week=date(2026, 1, 5), visible_from=None,
                    ),
                )  # fmt: skip
                await store.moderate(
                    conn, org.id, report_id, status="verified", by=olu.id, at=START
                )
        first, second = await rig.data(), await rig.data("?page=2")
        assert (first["pages"], len(first["reports"]), len(second["reports"])) == (2, 50, 10)
        assert first["reports"][0]["employer"] == "Library 59"
        assert second["reports"][-1]["employer"] == "Library 00"
        page = await rig.page("/o/demo/layoffs?page=2")
        assert "Page 2 of 2" in page and 'rel="prev"' in page
        assert (await rig.data("?page=3"))["reports"] == []


async def test_a_changed_report_makes_the_cached_page_stale_and_a_current_copy_gets_304(
    database: Database,
) -> None:
    async with web_rig(database) as rig:
        await rig.report(f'"First" state:IL source:https://n.example/1 {NAMED}')
        status, headers, _ = await rig.get("/o/demo/layoffs")
        etag, modified = headers["ETag"], headers["Last-Modified"]
        assert status == 200 and modified == "Mon, 02 Nov 2026 15:00:00 GMT"
        assert (await rig.get("/o/demo/layoffs", **{"If-None-Match": etag}))[0] == 304
        assert (await rig.get("/o/demo/layoffs", **{"If-Modified-Since": modified}))[0] == 304
        json_etag = (await rig.get("/o/demo/layoffs.json"))[1]["ETag"]
        assert json_etag != etag
        rig.bot.clock.advance(timedelta(minutes=1))
        await rig.report(f'"Second" state:IL source:https://n.example/2 {NAMED}')
        status, headers, body = await rig.get("/o/demo/layoffs", **{"If-None-Match": etag})
        assert status == 200 and headers["ETag"] != etag and b"Second" in body
        assert (await rig.get("/o/demo/layoffs", **{"If-Modified-Since": modified}))[0] == 200


async def test_the_csv_is_safe_to_open_in_a_spreadsheet(database: Database) -> None:
    async with web_rig(database) as rig:
        await rig.report(
            f'"=HYPERLINK(\\"http://evil.example\\")" city:"@home" state:IL '
            f"source:https://n.example/x {NAMED}"
        )
        _, _, body = await rig.get("/o/demo/layoffs.csv")
        (row,) = list(csv.DictReader(io.StringIO(body.decode())))
        assert row["employer"].startswith("'=HYPERLINK")
        assert row["city"] == "'@home"


async def test_public_pages_are_limited_per_address(database: Database) -> None:
    async with web_rig(database, per_minute=6, burst=2) as rig:
        statuses = [(await rig.get("/o/demo/layoffs"))[0] for _ in range(3)]
        assert statuses == [200, 200, 429]
        status, headers, _ = await rig.get("/o/demo/layoffs")
        assert status == 429 and int(headers["Retry-After"]) >= 1
        assert (await rig.get("/healthz"))[0] == 200  # not a public page: not limited


async def test_the_page_is_self_contained_and_escapes_what_reporters_typed(
    database: Database,
) -> None:
    async with web_rig(database) as rig:
        await rig.report(
            f'"<script>alert(1)</script> PL" state:IL source:https://n.example/s {NAMED}'
        )
        _, headers, body = await rig.get("/o/demo/layoffs")
        page = body.decode()
        assert "<script>" not in page and "&lt;script&gt;" in page
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert not re.search(
            r'(src|href)="(https?:)?//', page.replace('href="https://n.example/s"', "")
        )  # nothing loaded from elsewhere; the one outside link is the source


async def test_the_moderation_post_offers_to_show_a_report_without_a_source(
    database: Database,
) -> None:
    async with web_rig(database) as rig:
        reply = await rig.bot.say("ana", f'/layoff report "Quiet Branch" state:IL {NAMED}')
        assert "may appear on the public tracker" in reply.text
        assert "http://127.0.0.1:0/o/demo/layoffs" in reply.text
        ref = int(re.findall(r"L-(\d+)", reply.text)[0])
        await rig.organizer(f"/layoff verify id:{ref}")
        async with rig.bot.app.db.reading() as conn:
            edits = (
                await conn.execute(
                    select(OutboxMessage.payload).where(OutboxMessage.edit_of.is_not(None))
                )
            ).scalars()
            shown = [p for p in edits if "Show on the public tracker" in p]
        button = f'"command":"layoff publish","args":{{"id":"{ref}"}}'
        assert len(shown) == 3 and all(button in p for p in shown)  # each moderation channel
        click = encode_action("layoff publish", {"id": str(ref)})
        refused = await rig.bot.click("ana", click)
        assert refused.error and "organizer" in refused.text
        done = await rig.bot.click(OLU, click)
        assert "now appears on the public tracker" in done.text
        assert "Quiet Branch" in await rig.page()
        wisconsin = Person("wiorg", platform="slack", space="TWI")
        elsewhere = await rig.bot.say(wisconsin, f'/layoff report "Madison PL" {NAMED}')
        assert "public tracker" not in elsewhere.text  # its organization has none


async def test_the_moderation_posts_button_switches_between_show_and_hide(
    database: Database, tmp_path: Path
) -> None:
    t = await ConsoleBot.start(database, tmp_path, config=tracker_config())
    try:
        reply = await t.bot.say("ana", f'/layoff report "Quiet Branch" state:IL {NAMED}')
        ref = int(re.findall(r"L-(\d+)", reply.text)[0])
        await t.bot.app.settle()
        await t.ok(OLU, f"/layoff verify id:{ref}")
        await t.bot.app.settle()
        (verified,) = t.edits("#moderation")
        assert "verified by Olu" in verified and "[4] Show on the public tracker" in verified
        assert "Hide from" not in verified
        show, hide = '!press "Show on the public tracker"', '!press "Hide from the public tracker"'
        printed = await t.run_console(f"!as olu organizer\n{show}\n")
        assert "now appears on the public tracker" in printed
        _, shown = t.edits("#moderation")
        # the console's !as olu names the same member "olu" from then on
        status = "Status verified by olu; shown on the public tracker by olu"
        assert status in " ".join(shown.split()), shown
        assert "[4] Hide from the public tracker" in shown and "Show on" not in shown
        assert "[1] Verify (closed)" in shown
        assert len(t.edits("slack #CMODS")) == len(t.edits("discord #200000000000000002")) == 2
        await t.run_console(f"!as olu organizer\n{hide}\n{show}\n{hide}\n")
        edits = t.edits("#moderation")
        assert len(edits) == 5
        assert ["Show on" in e for e in edits] == [True, False, True, False, True]
        assert ["Hide from" in e for e in edits] == [False, True, False, True, False]
        assert "verified by olu; hidden from the public tracker by olu" in " ".join(
            edits[-1].split()
        )
        async with t.bot.app.db.reading() as conn:
            org, _ = t.bot.app.services.orgs.by_slug("demo")
            record = await store.get_report(conn, org.id, ref, t.bot.clock.now())
            actions = (await conn.execute(select(AuditEntry.action))).scalars().all()
        assert record is not None and not record.published
        assert actions.count("layoff.publish") == 2 and actions.count("layoff.unpublish") == 2
        # typed, the command answers and the posts follow it all the same
        said = await t.ok(OLU, f"/layoff publish id:{ref}")
        assert "now appears on the public tracker" in said.text
        await t.bot.app.settle()
        assert "Hide from the public tracker" in t.edits("#moderation")[-1]
        assert "already shown" in (await t.ok(OLU, f"/layoff publish id:{ref}")).text
        await t.bot.app.settle()
        assert len(t.edits("#moderation")) == 6  # nothing changed, nothing edited
    finally:
        await t.bot.app.stop()
