"""/event: events and RSVP. Organizers create an event (announced in every alert channel with
Going, Maybe and Can't go), see who comes by status and state delegation, name delegation
leads, add meetings and milestones, and mark attendance afterwards; they edit or cancel an event
once announced, and change or remove its meetings and milestones. Members answer once per
person, wait in line past the capacity (and are told when a seat frees up), see their own
events, meetings and milestones, get a calendar file or a private calendar feed, and are
reminded in their own timezone.

The feature by concern: ``options`` (what the commands take), ``rules`` (event times and RSVP
rules, pure), ``render`` (announcements, answers, reminders, calendar files), ``access``
(finding an event or a member), ``waitlist`` (seats that come free), ``organizers`` and
``commands`` (the handlers), ``feed`` (a member's private calendar address and its file),
``lifecycle`` (edit and cancel), ``items`` (meetings and milestones changed or removed),
``due`` (the live announcement, reminders, the digest) and ``privacy`` (export, erase,
merge). Importing the package registers them all on ``group``.
"""

from __future__ import annotations

from bot.registry import CommandGroup

group = CommandGroup("event", help="Events and RSVP: legislative days, meetings, rallies")
group.home_section("My RSVPs", "mine", rank=10)

# the handlers register themselves on ``group`` as they are imported, organizers' first
from commands.events import organizers, lifecycle, items, commands, feed, due, mirrors, privacy  # noqa: E402, F401, I001
