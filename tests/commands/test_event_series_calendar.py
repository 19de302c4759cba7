"""A repeating event's calendar file, on both databases: valid RFC 5545 (read back with the
icalendar package), one VEVENT with the RRULE in the series' timezone, EXDATE for a cancelled
date, RECURRENCE-ID overrides for changed ones, and expanding it gives the bot's dates."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import icalendar
from dateutil.rrule import rrulestr
from sqlalchemy import select

from storage.db import Database
from storage.models import Event
from tests.commands.test_event_series import ORGANIZER, SeriesBot, local, series_bot
from tests.support import ok

TRAINING = (
    '/event create title:"Steward training" kind:training start:"2027-02-23 19:00" end:"21:00" '
    'repeat:"every week" count:6 place:"Hall"'
)


async def calendar_of(t: SeriesBot, event_id: int) -> icalendar.Calendar:
    reply = await ok(t.bot, "ana", f"/event ics id:{event_id}")
    (file,) = reply.files
    assert file.mime == "text/calendar"
    return icalendar.Calendar.from_ical(file.data)


def expand(cal: icalendar.Calendar) -> dict[datetime, tuple[datetime, str]]:
    """What a calendar program shows: each date's start (UTC) and title, by RECURRENCE-ID
    (UTC), expanding the RRULE on the wall clock of its TZID, leaving out EXDATEs and
    applying overrides."""
    (master,) = [e for e in cal.walk("VEVENT") if "RRULE" in e]
    start = master.decoded("dtstart")
    rule = master["RRULE"].to_ical().decode()
    instances = [at.astimezone(UTC) for at in rrulestr(f"RRULE:{rule}", dtstart=start)]
    exdates = master.get("EXDATE", [])
    skipped = {
        d.dt.astimezone(UTC)
        for x in (exdates if isinstance(exdates, list) else [exdates])
        for d in x.dts
    }
    shown = {at: (at, str(master["SUMMARY"])) for at in instances if at not in skipped}
    for override in cal.walk("VEVENT"):
        if "RECURRENCE-ID" in override:
            key = override.decoded("recurrence-id").astimezone(UTC)
            assert key in shown, key
            shown[key] = (override.decoded("dtstart").astimezone(UTC), str(override["SUMMARY"]))
    return shown


async def bot_dates(t: SeriesBot) -> dict[datetime, tuple[datetime, str]]:
    """The bot's dates that are not cancelled: by their name, (start, title)."""
    async with t.bot.app.db.transaction() as conn:
        found = await conn.execute(
            select(Event.occurrence_start, Event.starts_at, Event.title).where(
                Event.series_id.is_not(None), Event.state == "scheduled"
            )
        )
        return {name: (at, title) for name, at, title in found}


async def test_a_series_is_one_vevent_with_its_rrule_across_daylight_saving(
    database: Database, tmp_path: Path
) -> None:
    t = await series_bot(database, tmp_path)
    await ok(t.bot, ORGANIZER, TRAINING)
    cal = await calendar_of(t, 1)
    (entry,) = cal.walk("VEVENT")
    assert entry["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=6"
    assert entry["DTSTART"].params["TZID"] == "America/Chicago"
    assert entry.decoded("dtstart") == datetime(
        2027, 2, 23, 19, tzinfo=entry.decoded("dtstart").tzinfo
    )
    assert int(entry["SEQUENCE"]) == 0 and str(entry["STATUS"]) == "CONFIRMED"
    assert str(entry["UID"]).startswith("series-1-")
    (zone,) = cal.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "America/Chicago"
    shown = expand(cal)
    # 7 PM on the wall clock each week: 01:00 UTC before March 14, 00:00 UTC after
    assert sorted(at for at, _ in shown.values()) == [
        datetime(2027, 2, 24, 1, tzinfo=UTC),
        datetime(2027, 3, 3, 1, tzinfo=UTC),
        datetime(2027, 3, 10, 1, tzinfo=UTC),
        datetime(2027, 3, 17, 0, tzinfo=UTC),
        datetime(2027, 3, 24, 0, tzinfo=UTC),
        datetime(2027, 3, 31, 0, tzinfo=UTC),
    ]
    # every date made is there, at the same time (making them all: an answer for each)
    for day in ("3/2", "3/9", "3/16", "3/23", "3/30"):
        await ok(t.bot, "ana", f"/event rsvp id:1 status:maybe occurrence:{day}")
    assert expand(await calendar_of(t, 3)) == await bot_dates(t)
    assert sorted(expand(await calendar_of(t, 3)).values()) == sorted(
        (await bot_dates(t)).values()
    )


async def test_cancelled_and_changed_dates_are_exdates_and_overrides(
    database: Database, tmp_path: Path
) -> None:
    t = await series_bot(database, tmp_path)
    await ok(t.bot, ORGANIZER, TRAINING)
    await ok(t.bot, ORGANIZER, "/event cancel id:1 occurrence:3/9")  # event 2
    await ok(t.bot, ORGANIZER, '/event edit id:1 occurrence:3/16 start:"2027-03-17 18:00"')
    await ok(t.bot, ORGANIZER, '/event edit id:1 occurrence:3/23 title:"Steward training II"')
    for day in ("3/2", "3/30"):  # every date made, to compare the file with them all
        await ok(t.bot, "ana", f"/event rsvp id:1 status:maybe occurrence:{day}")
    cal = await calendar_of(t, 1)
    master, *overrides = cal.walk("VEVENT")
    (exdate,) = [d.dt for d in master["EXDATE"].dts]
    assert exdate == datetime(2027, 3, 9, 19, tzinfo=exdate.tzinfo)
    assert master["EXDATE"].params["TZID"] == "America/Chicago"
    assert {str(o["UID"]) for o in overrides} == {str(master["UID"])}
    moved = next(o for o in overrides if o.decoded("dtstart").day == 17)
    assert moved.decoded("recurrence-id").astimezone(UTC) == local(2027, 3, 16, 19)
    assert int(moved["SEQUENCE"]) == 1
    shown = expand(cal)
    assert shown == await bot_dates(t)
    assert shown[local(2027, 3, 23, 19)][1] == "Steward training II"
    assert local(2027, 3, 9, 19) not in shown
    # a change from a date on: the dates made later follow in the file too
    await ok(t.bot, ORGANIZER, "/event edit id:1 from:3/30 start:6pm")
    later = expand(await calendar_of(t, 1))
    # the series now starts at 6 PM: the dates before March 30 are overrides at 7 PM
    assert later[local(2027, 3, 30, 18)][0] == local(2027, 3, 30, 18)
    assert sorted(later.values()) == sorted((await bot_dates(t)).values())


async def test_a_cancelled_series_and_event_say_so(database: Database, tmp_path: Path) -> None:
    t = await series_bot(database, tmp_path)
    await ok(t.bot, ORGANIZER, TRAINING)
    await ok(t.bot, ORGANIZER, '/event create title:Once kind:rally start:"2026-11-20 12:00"')
    await ok(t.bot, ORGANIZER, "/event cancel id:2")
    (once,) = (await calendar_of(t, 2)).walk("VEVENT")
    assert str(once["STATUS"]) == "CANCELLED" and int(once["SEQUENCE"]) == 1
    await ok(t.bot, ORGANIZER, "/event cancel id:1")
    (entry,) = (await calendar_of(t, 1)).walk("VEVENT")
    assert str(entry["STATUS"]) == "CANCELLED" and int(entry["SEQUENCE"]) == 1
    await ok(
        t.bot,
        ORGANIZER,
        '/event create title:Again kind:rally start:"2026-11-21 12:00" '
        'repeat:"every month on the 31st" until:2027-06-30',
    )
    (monthly,) = (await calendar_of(t, 3)).walk("VEVENT")
    assert monthly["RRULE"].to_ical().startswith(b"FREQ=MONTHLY;UNTIL=2027070")
    assert [at.astimezone(UTC).month for at, _ in expand(await calendar_of(t, 3)).values()] == [
        12,
        1,
        3,
        5,
    ]
