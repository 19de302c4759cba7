"""The App Home tab: the sections the features declare in the registry (the person's RSVPs,
open alerts, polls, reminders and preferences), in their order.

It is made by running the core's own commands as the person (through the dispatcher, like
a typed command) and rendering their replies, so the Home tab shows exactly what the
commands show, with the same buttons. This module names no feature: it shows what the
registry gives it.
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


async def build(app: Application, inv: Invocation) -> dict[str, Any]:
    """The Home tab view for the person ``inv`` describes."""
    if app.services.orgs.lookup("slack", inv.space_id) is None:
        return render.home([], intro=NotConfigured().message)
    inv = replace(inv, interactive=False)
    prefix = app.config.bot.prefix
    sections: list[tuple[str, Reply]] = []
    for section in app.services.registry.home_sections():
        reply = await app.dispatcher.handle_text(inv, f"/{prefix}{section.command}")
        sections.append((section.heading, reply))
    intro = f"Type /{prefix}help for every command you can use here."
    return render.home(sections, intro=intro)
