"""The features a rallybot deployment serves, in the order /help lists them."""

from __future__ import annotations

from bot.registry import CommandGroup
from commands import alerts, dashboard, digest, events, layoffs, members, polls, reminders
from commands import help as help_commands


def default_groups() -> list[CommandGroup]:
    """Every command group rallybot offers, in the order /help lists them."""
    return [
        layoffs.group,
        alerts.group,
        events.group,
        members.profile,
        members.link,
        members.privacy,
        reminders.group,
        polls.group,
        dashboard.group,
        help_commands.group,
        digest.group,
    ]
