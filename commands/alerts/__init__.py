"""/alert: action alerts. Organizers create one (seeing a preview), send it now or at a time;
it is posted in every alert channel and sent by DM to its audience, each member with their
own script and contacts. Members sign on, say they acted, or say it is not for them, once per
person across platforms; channel posts show one live tally, edited at most once per interval.
A nudge goes out before the deadline, and at the deadline the alert closes.

The feature by concern: ``options`` (what the commands take), ``rules`` (open, closed, when
to send; pure), ``render`` (posts and direct messages), ``access`` (finding an alert, the
caller), ``organizers`` and ``commands`` (the handlers), ``due`` (fan-out, tally, nudge,
closing, digest) and ``privacy`` (export, erase, merge). Importing the package registers
them all on ``group``.
"""

from __future__ import annotations

from bot.registry import CommandGroup

group = CommandGroup("alert", help="Action alerts: sign on, call, email, show up")
group.home_section("Open alerts and my actions", "list", rank=20)

# the handlers register themselves on ``group`` as they are imported, organizers' first
from commands.alerts import organizers, lifecycle, commands, due, privacy  # noqa: E402, F401, I001
