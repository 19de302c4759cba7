"""The app-command tree, generated from the core's registry, and its way back.

Each command group becomes one slash command (with the configured prefix): a group whose
only command has no action (``/profile``, ``/link``, ``/help``) takes that command's
options directly; any other group has one subcommand per action (``/alert sign``). Option
types follow the core's declarations (string, integer, boolean; a report id typed with its
prefix, L-42, is a string), required options come first (Discord's rule), fixed values
become choices, and options that can suggest values (alert ids, timezones) use
autocomplete. Commands are guild-only: the guild names the
organization.

``command_of`` reads an interaction's data back into the core's command and raw option
text, which the dispatcher validates exactly like a typed line.
"""

from __future__ import annotations

from typing import Any

from bot.options import Integer, Option, Ref
from bot.registry import Command, CommandGroup, Registry
from bot.reply import truncate

#: Discord's application command option types
SUB_COMMAND = 1
STRING, INTEGER, BOOLEAN, NUMBER = 3, 4, 5, 10
KINDS = {"string": STRING, "integer": INTEGER, "boolean": BOOLEAN, "number": NUMBER}
MAX_CHOICES = 25
MAX_DESCRIPTION = 100
MAX_STRING = 6000
#: guild-only commands: interaction context 0 (guild), installed to the guild (0)
GUILD_ONLY = {"contexts": [0], "integration_types": [0], "dm_permission": False}


def _description(text: str, fallback: str) -> str:
    return truncate(text or fallback, MAX_DESCRIPTION)


def kind_of(opt: Option) -> int:
    """The Discord type of an option: as the core declares it, except a report id with its
    prefix (``L-42``), which Discord's integer type would refuse before it reached us."""
    if isinstance(opt, Ref) and opt.prefix:
        return STRING
    return KINDS.get(opt.kind, STRING)


def option_payload(opt: Option) -> dict[str, Any]:
    """One option as Discord declares it."""
    kind = kind_of(opt)
    payload: dict[str, Any] = {
        "type": kind,
        "name": opt.name,
        "description": _description(opt.help, opt.name.replace("_", " ")),
        "required": opt.required,
    }
    if kind == STRING:
        payload["max_length"] = min(opt.max_length, MAX_STRING)
    if isinstance(opt, Integer):
        payload["min_value"], payload["max_value"] = opt.minimum, opt.maximum
    if isinstance(opt, Ref) and kind == INTEGER:
        payload["min_value"] = 1
    if opt.suggest is not None and kind in (STRING, INTEGER, NUMBER):
        payload["autocomplete"] = True
    elif kind != BOOLEAN and opt.choices and len(opt.choices) <= MAX_CHOICES:
        payload["choices"] = [{"name": truncate(c, 100), "value": c} for c in opt.choices]
    return payload


def _options(command: Command) -> list[dict[str, Any]]:
    ordered = sorted(command.options, key=lambda o: not o.required)
    return [option_payload(o) for o in ordered]


def group_payload(group: CommandGroup, prefix: str = "") -> dict[str, Any] | None:
    """One command group as a top-level slash command, or None if it has no commands."""
    if not group.commands:
        return None
    payload: dict[str, Any] = {
        "type": 1,
        "name": f"{prefix}{group.name}",
        "description": _description(group.help, group.name),
        **GUILD_ONLY,
    }
    if list(group.commands) == [""]:
        payload["options"] = _options(group.commands[""])
    else:
        payload["options"] = [
            {
                "type": SUB_COMMAND,
                "name": action,
                "description": _description(command.help, action),
                "options": _options(command),
            }
            for action, command in group.commands.items()
        ]
    return payload


def build_commands(registry: Registry, prefix: str = "") -> list[dict[str, Any]]:
    """Every group of the registry as Discord application commands (for a bulk upsert)."""
    commands = []
    for group in registry.groups.values():
        payload = group_payload(group, prefix)
        if payload is not None:
            commands.append(payload)
    return commands


def _text(value: Any) -> str:
    """An option value as the text the core's options parse."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def command_of(
    registry: Registry, prefix: str, data: dict[str, Any]
) -> tuple[Command, dict[str, str], str | None] | None:
    """The core command an interaction names, its raw option text and the focused option
    (for autocomplete); None if the name is not one of ours."""
    name = str(data.get("name", ""))
    if prefix:
        if not name.startswith(prefix):
            return None
        name = name[len(prefix) :]
    group = registry.groups.get(name)
    if group is None:
        return None
    options = data.get("options") or []
    action = ""
    if options and options[0].get("type") == SUB_COMMAND:
        action = str(options[0]["name"])
        options = options[0].get("options") or []
    command = group.commands.get(action)
    if command is None:
        return None
    raw: dict[str, str] = {}
    focused = None
    for item in options:
        if item.get("focused"):
            focused = str(item["name"])
        value = item.get("value")
        if value is not None and _text(value).strip():
            raw[str(item["name"])] = _text(value)
    return command, raw, focused
