"""/help: what the caller may use here, by role."""

from __future__ import annotations

from bot.context import Context
from bot.errors import ValidationError
from bot.options import Text
from bot.registry import CommandGroup, Role
from bot.reply import Reply

group = CommandGroup("help", help="What you can do here")


@group.command(
    options=[Text("topic", help="a command group, e.g. profile", max_length=40)],
    positional="topic",
    help="List the commands you can use, or explain one group",
    read_only=True,
)
async def help_command(ctx: Context, topic: str | None) -> Reply:
    """One line per group the caller's role may use (phones show it whole), or one group's
    commands in detail."""
    registry = ctx.services.registry
    role = await ctx.effective_role()
    prefix = ctx.services.config.bot.prefix
    if topic:
        name = topic.strip().lstrip("/").lower()
        if prefix and name.startswith(prefix):
            name = name[len(prefix) :]
        chosen = registry.groups.get(name)
        if chosen is None:
            known = ", ".join(sorted(registry.groups))
            raise ValidationError("topic", f"{topic!r} is not a command group (groups: {known})")
        lines = [f"/{prefix}{chosen.name}: {chosen.help}"]
        for command in chosen.commands.values():
            mark = "" if command.role <= role else f"  ({command.role.label}s only)"
            lines.append(
                f"\n{command.usage().replace('/', '/' + prefix, 1)}{mark}\n  {command.help}"
            )
            for opt in command.options:
                choices = f" [{' | '.join(opt.choices)}]" if opt.choices else ""
                need = "required" if opt.required else "optional"
                lines.append(f"    {opt.name}: {opt.help or opt.name} ({need}){choices}")
        return Reply(text="\n".join(lines))
    short = {g.name: _short(g, role, prefix) for g in registry.groups.values()}
    lines = [line for line in short.values() if line]
    example = "event" if short.get("event") else next((n for n, line in short.items() if line), "")
    footer = (
        f"\n/{prefix}help {example} shows a group's commands and options. "
        f"You have the {role.label} role in {ctx.org.name}."
    )
    return Reply(title="rallybot commands", text="\n".join(lines) + footer)


def _short(group: CommandGroup, role: Role, prefix: str) -> str:
    """One line for a group: its help, and the commands that each role above member adds,
    up to the caller's role; nothing when the caller may use none of its commands."""
    usable = [c for c in group.commands.values() if c.role <= role]
    if group.name == "help" or not usable:
        return ""
    added = []
    for level in Role:
        if level > Role.MEMBER:
            names = [c.action or c.group for c in usable if c.role == level]
            if names:
                added.append(f"{level.label}s: {', '.join(names)}")
    more = f" ({'; '.join(added)})" if added else ""
    return f"/{prefix}{group.name} — {group.help}{more}"
