"""/help: what the caller may use here, by role."""

from __future__ import annotations

from bot.context import Context
from bot.errors import ValidationError
from bot.options import Text
from bot.registry import CommandGroup
from bot.reply import Reply

group = CommandGroup("help", help="What you can do here")


@group.command(
    options=[Text("topic", help="a command group, e.g. profile", max_length=40)],
    positional="topic",
    help="List the commands you can use, or explain one group",
    read_only=True,
)
async def help_command(ctx: Context, topic: str | None) -> Reply:
    """List the commands the caller's role allows, or one group's commands in detail."""
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
    lines = []
    for command in registry:
        if command.role <= role:
            lines.append(f"/{prefix}{command.name} — {command.help}")
    footer = (
        f"\nYou have the {role.label} role in {ctx.org.name}. "
        f"Options are written key:value, e.g. /{prefix}profile state:IL. "
        f"/{prefix}help GROUP explains a group."
    )
    return Reply(title="rallybot commands", text="\n".join(lines) + footer)
