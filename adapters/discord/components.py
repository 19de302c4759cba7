"""Persistent buttons and menus: discord.py dynamic items matching the core's action ids.

Every button's and menu's custom id is the core's stateless action id
(``alert.sign?id=7``), so nothing about a message needs to be remembered: after a restart,
the templates registered in ``setup_hook`` match a click on any message the bot ever sent,
and the click is dispatched like the typed command. State lives in the database.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from typing import Any, ClassVar, Protocol, Self, TypeVar

import discord

#: a menu's id carries the argument its chosen value fills (``…&_select=status``)
SELECT_TEMPLATE = r"(?P<action>[a-z][a-z0-9_.-]*\?(?:[^?]*&)?_select=[a-z0-9_]+)"
#: every other action id is a button's
BUTTON_TEMPLATE = r"(?P<action>(?![^?]*\?(?:[^?]*&)?_select=)[a-z][a-z0-9_.-]*(?:\?[^\s]*)?)"


#: the Continue and Send now buttons between the steps of a long form
STEP_TEMPLATE = r"rbform:(?P<token>[0-9a-f]{16}):(?P<step>[0-9]|send)"


class ComponentHandler(Protocol):
    """What the client offers the items: one entry point for clicks and choices."""

    async def handle_component(
        self, interaction: discord.Interaction, action_id: str, values: dict[str, str]
    ) -> None:
        """Dispatch a click (``values`` empty) or a menu choice (``{"value": …}``)."""
        ...

    async def handle_form_step(
        self, interaction: discord.Interaction, token: str, step: str
    ) -> None:
        """Open the next step of a long form (``step`` a number) or send it (``send``)."""
        ...


#: a click on the button just clicked, by the same person, within this many seconds
REPEAT_SECONDS = 1.5


class RepeatedClicks:
    """Notices a button clicked again at once (a double click, a click while the first is
    being answered), so that it counts once even on a button that toggles, such as an
    approval poll's option. Each person's last click per message is kept in memory for
    ``REPEAT_SECONDS`` only, then forgotten: nothing is left to say who clicked what."""

    def __init__(self, window: float = REPEAT_SECONDS) -> None:
        self.window = window
        #: (person, message) -> (custom id, when), oldest first
        self._last: OrderedDict[tuple[str, str], tuple[str, float]] = OrderedDict()

    def __len__(self) -> int:
        """How many clicks are remembered now."""
        return len(self._last)

    def repeated(self, user_id: str, message_id: str, custom_id: str) -> bool:
        """Record a click; True if it repeats that person's last click on that message."""
        now = time.monotonic()
        while self._last:
            oldest = next(iter(self._last.values()))
            if now - oldest[1] < self.window:
                break
            self._last.popitem(last=False)
        key = (user_id, message_id)
        last = self._last.pop(key, None)
        self._last[key] = (custom_id, now)
        return last is not None and last[0] == custom_id


def _handler(interaction: discord.Interaction) -> ComponentHandler:
    return interaction.client.rally  # type: ignore[attr-defined,no-any-return]


_ItemT = TypeVar("_ItemT", bound=discord.ui.Item[Any])


class _RebuiltItem(discord.ui.DynamicItem[_ItemT], template=r"(?!)"):
    """A persistent item: its custom id says all there is to know, so it is rebuilt from
    whatever message it is used on, even one sent before a restart. The template here
    matches nothing; each kind below names its own."""

    #: the kind of component the custom id belongs to
    kind: ClassVar[type[discord.ui.Item[Any]]]

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        """Rebuild the item from the message it was used on."""
        assert isinstance(item, cls.kind)
        return cls(item)  # type: ignore[arg-type]


class ActionButton(_RebuiltItem[discord.ui.Button[Any]], template=BUTTON_TEMPLATE):
    """A button whose custom id is an action id."""

    kind = discord.ui.Button

    async def callback(self, interaction: discord.Interaction) -> None:
        """Run the action as the person who clicked."""
        await _handler(interaction).handle_component(interaction, self.item.custom_id or "", {})


class ActionSelect(_RebuiltItem[discord.ui.Select[Any]], template=SELECT_TEMPLATE):
    """A menu whose custom id is an action id; the chosen value fills its argument."""

    kind = discord.ui.Select

    async def callback(self, interaction: discord.Interaction) -> None:
        """Run the action with the chosen value."""
        values = (interaction.data or {}).get("values") or []
        chosen = {"value": str(values[0])} if values else {}
        await _handler(interaction).handle_component(interaction, self.item.custom_id or "", chosen)


class FormStep(_RebuiltItem[discord.ui.Button[Any]], template=STEP_TEMPLATE):
    """Continue (or Send now) between two steps of a form longer than one modal."""

    kind = discord.ui.Button

    async def callback(self, interaction: discord.Interaction) -> None:
        """Open the next step, or send what was filled in."""
        match = self.template.fullmatch(self.item.custom_id or "")
        assert match is not None
        await _handler(interaction).handle_form_step(
            interaction, match.group("token"), match.group("step")
        )


PERSISTENT_ITEMS = (ActionButton, ActionSelect, FormStep)
