"""The App Home tab: the person's RSVPs, open alerts, polls, reminders and preferences.

It is made by running the core's own commands as the person (through the dispatcher, like
a typed command) and rendering their replies, so the Home tab shows exactly what the
commands show, with the same buttons. A command the registry does not offer is left out.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from adapters.slack import render
from bot.errors import NotConfigured
from bot.reply import Reply

if TYPE_CHECKING:
    from bot.app import Application
    from bot.context import Invocation

#: (heading, command line) of each part of the Home tab, in order
SECTIONS = (
    ("My RSVPs", "event mine"),
    ("Open alerts and my actions", "alert list"),
    ("Polls", "poll list"),
    ("My reminders", "reminder list"),
    ("Preferences", "profile"),
)


async def build(app: Application, inv: Invocation) -> dict[str, Any]:
    """The Home tab view for the person ``inv`` describes."""
    if app.services.orgs.lookup("slack", inv.space_id) is None:
        return render.home([], intro=NotConfigured().message)
    registry = app.services.registry
    inv = replace(inv, interactive=False)
    prefix = app.config.bot.prefix
    sections: list[tuple[str, Reply]] = []
    for heading, line in SECTIONS:
        group, _, action = line.partition(" ")
        commands = registry.groups.get(group)
        if commands is None or action not in commands.commands:
            continue
        sections.append((heading, await app.dispatcher.handle_text(inv, f"/{prefix}{line}")))
    intro = f"Type /{prefix}help for every command you can use here."
    return render.home(sections, intro=intro)
