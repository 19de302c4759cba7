"""The features: one module per command group, each declaring its commands once."""

from __future__ import annotations

from bot.registry import CommandGroup


def default_groups() -> list[CommandGroup]:
    """Every command group rallybot offers, in the order /help lists them."""
    from commands import alerts, digest, events, layoffs, members, polls, reminders
    from commands import help as help_commands

    return [
        layoffs.group,
        alerts.group,
        events.group,
        members.profile,
        members.link,
        members.privacy,
        reminders.group,
        polls.group,
        help_commands.group,
        digest.group,
    ]
