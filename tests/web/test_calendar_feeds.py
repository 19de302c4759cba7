"""Private calendar feeds, on both databases: ``/event feed`` typed at the console sends the
address by direct message only; ``GET /calendar/<token>.ics`` through the real web adapter
gives a file that icalendar, dateutil and vobject read (the series' RRULE expands to the
bot's dates, EXDATE taken out),
with SEQUENCE bumped by an edit, STATUS:CANCELLED after a cancel, ETag and 304, the member's
own meetings and milestones, nothing of another organization; a reset makes the old address
404 like an unknown one; /privacy export, delete and /link cover the feed."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import icalendar
import vobject
from dateutil.rrule import rrulestr
from multidict import CIMultiDict
from sqlalchemy import select

from adapters.web import WebAdapter
from bot.config import BotConfig, Config, WebConfig, demo_org
from bot.logs import SecretFilter
from storage.db import Database
from storage.models import CalendarFeed, Event, EventSeries, OutboxMessage
from tests.support import ConsoleBot, Person, link_accounts, ok, refused, second_org

BASE = "https://rally.example.org"
OLU = Person("olu", roles=frozenset({"organizer"}))
WI_ORGANIZER = Person("UWIORG", platform="slack", space="TWI")
WI_MEMBER = Person("UWIANA", platform="slack", space="TWI")
MEETING = (
    '/event create title:"Chapter meeting" kind:meeting start:"2026-11-20 18:00" end:"19:30" '
    'place:"Main library, room B"'
)
TRAINING = (
    '/event create title:"Steward training" kind:training start:"2027-02-23 19:00" end:"21:00" '
    'repeat:"every week" count:6 place:"Hall"'
)
LEGDAY = (
    '/event create title:"National Library Legislative Day" kind:"Legislative day" '
    'start:"2027-04-12 09:00" end:"2027-04-13 17:00" timezone:America/New_York '
    'place:"Washington, D.C."'
)
FEED = "/calendar/Y3ONlE2Zu-lyy-Takb8AxDiGptzCKhsnDnNT-czos30.ics"
URL = re.compile(re.escape(BASE) + r"(/calendar/[A-Za-z0-9_-]+\.ics)")


def feed_config(base_url: str = BASE, *, enabled: bool = True) -> Config:
    """The demo organization and a second one, [web] on port 0 behind ``base_url``."""
    return Config(
        orgs=[demo_org(), second_org()],
        web=WebConfig(enabled=enabled, host="127.0.0.1", port=0, base_url=base_url),
        bot=BotConfig(files_dir="/nonexistent-rallybot-test-files"),
    )


@dataclass
class FeedRig:
    """A bot printing its messages to a console screen, served by the web adapter."""

    t: ConsoleBot
    adapter: WebAdapter
    session: aiohttp.ClientSession

    async def get(self, path: str, **headers: str) -> tuple[int, CIMultiDict[str], bytes]:
        """GET a path on the server: status, headers, body."""
        url = f"http://127.0.0.1:{self.adapter.port}{path}"
        async with self.session.get(url, headers=headers) as response:
            return response.status, response.headers.copy(), await response.read()

    async def subscribe(self, who: Person | str, line: str = "/event feed") -> str:
        """Ask for a feed as ``who``; the path of the address their newest DM holds, checking
        the answer in the channel does not show it."""
        await self.t.bot.app.settle()
        seen = len(self.t.messages())
        reply = await ok(self.t.bot, who, line)
        assert "/calendar/" not in reply.text and "direct messages" in reply.text, reply.text
        await self.t.bot.app.settle()
        person = who if isinstance(who, Person) else Person(who)
        place = "DM " + person.name
        place = place if person.platform == "console" else f"{person.platform} {place}"
        texts = [text for where, text in self.t.messages()[seen:] if where == place]
        assert len(texts) == 1, self.t.messages()[seen:]
        match = URL.search(texts[-1])
        assert match, texts[-1]
        assert "webcal://rally.example.org" + match.group(1) in texts[-1]
        return match.group(1)

    async def calendar(self, path: str) -> icalendar.Calendar:
        """The feed at ``path``, which must answer 200 as a calendar."""
        status, headers, body = await self.get(path)
        assert status == 200, body[:300]
        assert headers["Content-Type"] == "text/calendar; charset=utf-8"
        assert all(len(line) <= 75 for line in body.split(b"\r\n")), "a line is not folded"
        return icalendar.Calendar.from_ical(body)


@asynccontextmanager
async def feed_rig(
    database: Database, tmp_path: Path, config: Config | None = None, **limits: float
) -> AsyncIterator[FeedRig]:
    """A started bot with the web adapter on port 0 and an HTTP client."""
    t = await ConsoleBot.start(database, tmp_path, config=config or feed_config())
    adapter = WebAdapter(t.bot.app.config, **limits)
    await adapter.start(t.bot.app)
    session = aiohttp.ClientSession()
    try:
        yield FeedRig(t, adapter, session)
    finally:
        await session.close()
        await adapter.stop()
        await t.bot.app.stop()


def entries(cal: icalendar.Calendar) -> dict[str, list[icalendar.Event]]:
    """The calendar's VEVENTs by summary."""
    found: dict[str, list[icalendar.Event]] = {}
    for entry in cal.walk("VEVENT"):
        found.setdefault(str(entry["SUMMARY"]), []).append(entry)
    return found


async def test_the_address_goes_by_dm_and_the_feed_reads_in_two_parsers(
    database: Database, tmp_path: Path
) -> None:
    async with feed_rig(database, tmp_path) as rig:
        await ok(rig.t.bot, OLU, MEETING)
        await ok(rig.t.bot, OLU, TRAINING)
        reply = await ok(rig.t.bot, "ana", "/event feed")
        assert reply.text == (
            "Your private calendar address is in your direct messages from the bot."
        )
        path = await rig.subscribe("ana", "/event feed reset")
        assert "calendar/" not in "\n".join(rig.t.at("#general"))
        cal = await rig.calendar(path)
        assert cal["METHOD"] == "PUBLISH" and cal["VERSION"] == "2.0"
        assert str(cal["X-WR-CALNAME"]).endswith(" events")
        assert cal["REFRESH-INTERVAL"].dt == timedelta(hours=1)
        assert cal["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
        assert str(cal["X-PUBLISHED-TTL"]) == "PT1H"
        assert {z["TZID"] for z in cal.walk("VTIMEZONE")} == {"America/Chicago"}
        found = entries(cal)
        (meeting,) = found["Chapter meeting"]
        assert meeting["STATUS"] == "CONFIRMED" and meeting["SEQUENCE"] == 0
        assert meeting["ORGANIZER"].startswith("mailto:")
        (training,) = found["Steward training"]
        # the second parser: dateutil expands the RRULE to the bot's six dates
        rule = training["RRULE"].to_ical().decode()
        dates = list(rrulestr(f"RRULE:{rule}", dtstart=training.decoded("DTSTART")))
        assert len(dates) == 6 and all(d.weekday() == 1 and d.hour == 19 for d in dates)
        assert dates[0].astimezone(UTC) == datetime(2027, 2, 24, 1, 0, tzinfo=UTC)
        # the same UIDs as /event ics gives
        (file,) = (await ok(rig.t.bot, "ana", "/event ics id:1")).files
        single = icalendar.Calendar.from_ical(file.data)
        assert [e["UID"] for e in single.walk("VEVENT")] == [meeting["UID"]]


async def test_an_edit_bumps_the_sequence_a_cancel_shows_and_etag_gives_304(
    database: Database, tmp_path: Path
) -> None:
    async with feed_rig(database, tmp_path) as rig:
        bot = rig.t.bot
        await ok(bot, OLU, MEETING)
        path = await rig.subscribe("ana")
        status, headers, _ = await rig.get(path)
        assert status == 200 and headers["Cache-Control"] == "private, no-cache"
        etag = headers["ETag"]
        bot.clock.advance(timedelta(minutes=5))  # a new DTSTAMP, the same events
        status, again, body = await rig.get(path, **{"If-None-Match": etag})
        assert (status, body, again["ETag"]) == (304, b"", etag)
        await ok(bot, OLU, '/event edit id:1 start:"2026-11-27 18:00"')
        status, headers, _ = await rig.get(path, **{"If-None-Match": etag})
        assert status == 200 and headers["ETag"] != etag
        (meeting,) = entries(await rig.calendar(path))["Chapter meeting"]
        assert meeting["SEQUENCE"] == 1
        assert meeting.decoded("DTSTART").astimezone(UTC) == datetime(
            2026, 11, 28, 0, 0, tzinfo=UTC
        )
        await ok(bot, OLU, '/event cancel id:1 reason:"Room flooded"')
        (meeting,) = entries(await rig.calendar(path))["Chapter meeting"]
        assert meeting["STATUS"] == "CANCELLED" and meeting["SEQUENCE"] >= 1


async def test_a_reset_makes_the_old_address_404_and_only_a_digest_is_stored(
    database: Database, tmp_path: Path
) -> None:
    async with feed_rig(database, tmp_path) as rig:
        bot = rig.t.bot
        old = await rig.subscribe("ana")
        wrong = await refused(bot, "ana", "/event feed renew")
        assert wrong.startswith("action: ") and "reset" in wrong, wrong
        again = await ok(bot, "ana", "/event feed")
        assert "already have a calendar address" in again.text and "/event feed reset" in again.text
        await bot.app.settle()
        assert len(rig.t.at("DM ana")) == 1  # no second address sent
        new = await rig.subscribe("ana", "/event feed reset")
        assert new != old
        status, _, gone = await rig.get(old)
        assert status == 404
        unknown = "/calendar/" + "x" * 43 + ".ics"
        assert (await rig.get(unknown))[::2] == (404, gone)
        assert (await rig.get("/calendar/short.ics"))[::2] == (404, gone)
        # the DM's stored copy loses the token once sent: only the digest is kept
        async with bot.app.db.transaction() as conn:
            payloads = (await conn.execute(select(OutboxMessage.payload))).scalars().all()
        assert any(new.removeprefix("/calendar/") in p for p in payloads)
        await rig.t.step_to(bot.clock.now() + timedelta(hours=1))
        async with bot.app.db.transaction() as conn:
            payloads = (await conn.execute(select(OutboxMessage.payload))).scalars().all()
        dms = [p for p in payloads if "/calendar/" in p]
        assert len(dms) == 2 and all("/calendar/[removed].ics" in p for p in dms)
        assert all(old.removeprefix("/calendar/") not in p for p in payloads)
        assert all(new.removeprefix("/calendar/") not in p for p in payloads)
        empty = await rig.calendar(new)  # no events yet: still one component, the zone
        assert not empty.walk("VEVENT")
        assert [z["TZID"] for z in empty.walk("VTIMEZONE")] == ["America/Chicago"]
        token = new.removeprefix("/calendar/").removesuffix(".ics")
        async with bot.app.db.transaction() as conn:
            rows = (await conn.execute(select(CalendarFeed.token_hash))).all()
        assert rows == [(hashlib.sha256(token.encode()).hexdigest(),)]
        async with bot.app.db.transaction() as conn:
            used = (await conn.execute(select(CalendarFeed.last_used_at))).scalar_one()
        assert used == bot.clock.now()


async def test_another_organizations_events_never_appear(
    database: Database, tmp_path: Path
) -> None:
    async with feed_rig(database, tmp_path) as rig:
        bot = rig.t.bot
        await ok(bot, OLU, MEETING)
        await ok(
            bot,
            WI_ORGANIZER,
            '/event create title:"Madison rally" kind:rally start:"2026-11-21 12:00" end:"13:00"',
        )
        demo = await rig.calendar(await rig.subscribe("ana"))
        assert set(entries(demo)) == {"Chapter meeting"}
        wi = await rig.calendar(await rig.subscribe(WI_MEMBER))
        assert set(entries(wi)) == {"Madison rally"}
        assert str(wi["X-WR-CALNAME"]) == "Wisconsin Library Workers events"


async def test_the_members_own_meetings_and_milestones_and_the_last_30_days(
    database: Database, tmp_path: Path
) -> None:
    async with feed_rig(database, tmp_path) as rig:
        bot = rig.t.bot
        await ok(bot, OLU, LEGDAY)
        await ok(bot, "ana", "/event rsvp id:1 status:going state:IL")
        await ok(bot, "bea", "/event rsvp id:1 status:no")
        for state, who in (("IL", "Sen. Tammy Duckworth"), ("WI", "Sen. Tammy Baldwin")):
            await ok(
                bot,
                OLU,
                f'/event meeting id:1 state:{state} office:"{who}\'s office" legislator:"{who}" '
                'at:"2027-04-12 14:00" place:"Hart 524"',
            )
        await ok(bot, OLU, '/event milestone id:1 title:"Hotel block ends" at:"2027-03-20 17:00"')
        await ok(bot, OLU, MEETING)
        ana = entries(await rig.calendar(await rig.subscribe("ana")))
        assert set(ana) == {
            "National Library Legislative Day",
            "Chapter meeting",
            "Meeting: Sen. Tammy Duckworth (Sen. Tammy Duckworth's office)",
            "Hotel block ends (National Library Legislative Day)",
        }
        bea_path = await rig.subscribe("bea")
        bea = entries(await rig.calendar(bea_path))
        assert set(bea) == {"National Library Legislative Day", "Chapter meeting"}
        # the meeting ended on Nov 20: shown for 30 days, then no more
        bot.clock.advance(datetime(2026, 12, 19, tzinfo=UTC) - bot.clock.now())
        assert "Chapter meeting" in entries(await rig.calendar(bea_path))
        bot.clock.advance(timedelta(days=3))
        assert "Chapter meeting" not in entries(await rig.calendar(bea_path))


async def test_privacy_export_delete_and_link_cover_the_feed(
    database: Database, tmp_path: Path
) -> None:
    async with feed_rig(database, tmp_path) as rig:
        bot = rig.t.bot
        path = await rig.subscribe("ana")
        token = path.removeprefix("/calendar/").removesuffix(".ics")
        exported = (await ok(bot, "ana", "/privacy export")).files[0].data
        (feed,) = json.loads(exported)["event"]
        assert feed["calendar_feed"] and feed["organization"] == "demo"
        assert token.encode() not in exported
        assert hashlib.sha256(token.encode()).hexdigest().encode() not in exported
        # two accounts of one person: one address kept, the joined account's stops
        ana_on_slack = Person("UANA", platform="slack")
        other = await rig.subscribe(ana_on_slack)
        await link_accounts(bot, "ana", ana_on_slack)
        assert await rig.t.count(CalendarFeed) == 1
        assert (await rig.get(path))[0] == 200 and (await rig.get(other))[0] == 404
        await ok(bot, "ana", "/privacy delete confirm:yes")
        assert await rig.t.count(CalendarFeed) == 0
        assert (await rig.get(path))[0] == 404


async def test_without_a_web_address_the_member_is_told_plainly(
    database: Database, tmp_path: Path
) -> None:
    for config in (feed_config(""), feed_config(enabled=False)):
        t = await ConsoleBot.start(database, tmp_path, config=config)
        reply = await ok(t.bot, "ana", "/event feed")
        assert reply.text.startswith("This organization has no web address yet"), reply.text
        assert await t.count(CalendarFeed) == 0
        await t.bot.app.stop()


async def test_feeds_are_limited_per_address(database: Database, tmp_path: Path) -> None:
    async with feed_rig(database, tmp_path, per_minute=1, burst=2) as rig:
        path = await rig.subscribe("ana")
        assert [(await rig.get(path))[0] for _ in range(3)] == [200, 200, 429]
        assert (await rig.get("/calendar/" + "y" * 43 + ".ics"))[0] == 429


async def test_typed_at_the_console_the_address_is_printed_as_a_dm(
    database: Database, tmp_path: Path
) -> None:
    async with feed_rig(database, tmp_path) as rig:
        await ok(rig.t.bot, OLU, MEETING)
        printed = await rig.t.run_console("/event feed\n")
        answer, _, dm = printed.partition("[DM guest] ")
        assert "Your private calendar address is in your direct messages" in answer
        assert "/calendar/" not in answer
        found = URL.search(dm)
        assert found and "webcal://rally.example.org" + found.group(1) in dm
        cal = await rig.calendar(found.group(1))
        assert set(entries(cal)) == {"Chapter meeting"}


def test_a_feed_address_in_a_log_line_is_redacted() -> None:
    record = logging.LogRecord(
        "slack_sdk", logging.DEBUG, __file__, 1, "sent %s", ("https://r.example" + FEED,), None
    )
    assert SecretFilter([]).filter(record)
    assert record.getMessage() == "sent https://r.example/calendar/[redacted].ics"
    encoded = "text=https%3A%2F%2Fr.example" + FEED.replace("/", "%2F")
    record = logging.LogRecord("slack_sdk", logging.DEBUG, __file__, 1, encoded, None, None)
    assert SecretFilter([]).filter(record)
    assert record.getMessage() == "text=https%3A%2F%2Fr.example%2Fcalendar%2F[redacted].ics"


async def test_a_second_icalendar_parser_reads_the_same_feed(
    database: Database, tmp_path: Path
) -> None:
    """vobject, a parser of its own, finds every VEVENT's UID, SEQUENCE, STATUS and DTSTART
    as icalendar does and as the bot stored them, and expands the series' RRULE (EXDATE
    taken out) to the bot's own dates."""
    async with feed_rig(database, tmp_path) as rig:
        bot = rig.t.bot
        await ok(bot, OLU, MEETING)  # event 1
        await ok(bot, OLU, TRAINING)  # series 1, its first date event 2
        await ok(bot, OLU, LEGDAY)  # event 3
        await ok(bot, OLU, '/event edit id:1 start:"2026-11-20 18:30"')
        await ok(bot, OLU, '/event cancel id:3 reason:"Postponed"')
        await ok(bot, OLU, "/event cancel id:2 occurrence:3/9")
        await ok(bot, OLU, '/event edit id:2 occurrence:3/16 start:"2027-03-17 18:00"')
        for day in ("3/2", "3/23", "3/30"):  # every date made, to compare with them all
            await ok(bot, "ana", f"/event rsvp id:2 status:maybe occurrence:{day}")
        status, _, body = await rig.get(await rig.subscribe("ana"))
        assert status == 200
        text = body.decode()

        def key(uid: str, recurrence: datetime | None) -> tuple[str, datetime | None]:
            return uid, recurrence and recurrence.astimezone(UTC)

        seen = {}
        (vcal,) = list(vobject.readComponents(text))
        for entry in vcal.vevent_list:
            recurrence = entry.recurrence_id.value if hasattr(entry, "recurrence_id") else None
            seen[key(entry.uid.value, recurrence)] = (
                int(entry.sequence.value),
                entry.status.value,
                entry.dtstart.value.astimezone(UTC),
            )
        expected = {}
        for entry in icalendar.Calendar.from_ical(body).walk("VEVENT"):
            recurrence = entry.decoded("RECURRENCE-ID") if "RECURRENCE-ID" in entry else None
            expected[key(str(entry["UID"]), recurrence)] = (
                int(entry["SEQUENCE"]),
                str(entry["STATUS"]),
                entry.decoded("DTSTART").astimezone(UTC),
            )
        assert seen == expected and len(seen) == 4  # 2 events, the series and its override

        # as the bot stored them
        async with bot.app.db.sessions() as session:
            rows = (await session.execute(select(Event).order_by(Event.id))).scalars().all()
            (series,) = (await session.execute(select(EventSeries))).scalars().all()
        by_uid = {uid: value for (uid, recurrence), value in seen.items() if recurrence is None}
        singles = {r.id: r for r in rows if r.series_id is None}
        for event_id, row in singles.items():
            (uid,) = [u for u in by_uid if u.startswith(f"event-{event_id}-")]
            state = {"scheduled": "CONFIRMED", "cancelled": "CANCELLED"}[row.state]
            assert by_uid[uid] == (row.sequence, state, row.starts_at), uid
        assert by_uid[next(u for u in by_uid if u.startswith("event-1-"))][0] == 1  # edited
        (series_uid,) = [u for u in by_uid if u.startswith(f"series-{series.id}-")]
        assert by_uid[series_uid] == (series.sequence, "CONFIRMED", series.first_start)
        dates = [r for r in rows if r.series_id == series.id]
        assert len(dates) == 6
        (override,) = [(k, v) for k, v in seen.items() if k[1] is not None]
        (moved,) = [r for r in dates if r.starts_at != r.occurrence_start]
        assert override == ((series_uid, moved.occurrence_start), (1, "CONFIRMED", moved.starts_at))
        assert moved.sequence == 1

        # the series' dates: vobject's expansion of RRULE less EXDATE, as the bot's
        (master,) = [
            e
            for e in vcal.vevent_list
            if e.uid.value == series_uid and not hasattr(e, "recurrence_id")
        ]
        expanded = sorted(at.astimezone(UTC) for at in master.getrruleset(addRDate=True))
        kept = sorted(r.occurrence_start for r in dates if r.state == "scheduled")
        cancelled = [r.occurrence_start for r in dates if r.state == "cancelled"]
        assert expanded == kept and len(kept) == 5
        assert cancelled == [datetime(2027, 3, 10, 1, 0, tzinfo=UTC)]
        assert cancelled[0] not in expanded
        assert [d.astimezone(UTC) for d in master.exdate.value] == cancelled
