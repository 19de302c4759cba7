"""/poll: polls with one ballot per member across platforms, changeable until closing.

A poll (pick one, pick up to N, ranked choice or approval; anonymous unless its creator says
otherwise) is posted in every alert channel with a button per option; `/poll vote` is the
typed equivalent. Ranked polls are counted by instant runoff, every round shown. A poll
closes at its time (a due item) or by command, and its results are then posted with a chart.

The feature by concern: ``options`` (what the commands take), ``rules`` (ballot rules, pure),
``count`` (plurality and instant runoff, pure), ``keys`` (the ballot secret and voter keys),
``render`` (posts and results), ``commands`` (the handlers that change a poll), ``views``
(results, list and show), ``due`` (closing, the live post, the digest) and ``privacy``
(export, erase, merge). Importing the package registers them all
on ``group``.
"""

from __future__ import annotations

from bot.registry import CommandGroup

group = CommandGroup("poll", help="Polls: vote, rank priorities, see results")
group.home_section("Polls", "list", rank=30)

# the handlers register themselves on ``group`` as they are imported
from commands.polls import commands, due, privacy, views  # noqa: E402, F401
