"""A person's platform roles as the platform says now, for checks made away from chat.

A command typed in chat carries the person's roles as the platform sent them with it; the web
dashboard has no such message, so it asks the running platform adapter. Each adapter
registers a role source for its platform when it starts (Discord: the guild member's roles,
Slack: the organizer and admin user groups the person is in, the console: the role its
``!as`` gave the name) and removes it when it stops; the core and the web pages see only
``PlatformRoles``.

An answer is remembered for ``FRESH`` (a minute) per platform, space and person, so a page
does not cost a platform call each time. When the platform cannot be asked (its adapter is
not running in this process, or its API fails or is slow), an answer up to ``STALE_OK`` old
is used; without one the check fails with ``RolesUnavailable`` and the caller refuses
(fails closed). A person who is no longer in the space holds no roles at all (``None``).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.clock import Clock

log = logging.getLogger(__name__)

#: how long an answer is used without asking again
FRESH = timedelta(seconds=60)
#: how old an answer may be and still be used while the platform cannot be asked
STALE_OK = timedelta(minutes=5)
#: how long a platform is given to answer, in seconds
ASK_TIMEOUT = 10.0
#: the answers remembered at most (the oldest are forgotten first)
REMEMBERED = 10_000

PLATFORM_NAMES = {"slack": "Slack", "discord": "Discord", "console": "the console"}


@dataclass(frozen=True)
class HeldRoles:
    """What the platform says a person holds in a space now: Discord role ids, Slack user
    group ids, the console's role word; on Discord also the roles' names."""

    roles: frozenset[str] = frozenset()
    role_names: frozenset[str] = frozenset()


class RolesUnavailable(Exception):
    """The platform could not be asked about a person's roles just now."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        super().__init__(f"could not ask {PLATFORM_NAMES.get(platform, platform)} for roles")


#: a platform's role source: (space id, user id) -> the roles held there now, or None when the
#: person is not in that space (left the guild or workspace); raises ``RolesUnavailable``
#: (or any error of its platform's API) when it cannot tell
RoleSource = Callable[[str, str], Awaitable[HeldRoles | None]]


class PlatformRoles:
    """The role sources of the running adapters, and their answers remembered briefly."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._sources: dict[str, RoleSource] = {}
        self._answers: OrderedDict[tuple[str, str, str], tuple[datetime, HeldRoles | None]] = (
            OrderedDict()
        )

    def register(self, platform: str, source: RoleSource) -> None:
        """Ask ``source`` for the roles of ``platform``'s people (an adapter, at start)."""
        self._sources[platform] = source

    def unregister(self, platform: str, source: RoleSource) -> None:
        """Stop asking ``source`` (its adapter stopped); another one registered since stays."""
        if self._sources.get(platform) == source:
            del self._sources[platform]

    def forget(self) -> None:
        """Forget every remembered answer, so the next check asks the platform."""
        self._answers.clear()

    async def current(self, platform: str, space_id: str, user_id: str) -> HeldRoles | None:
        """The roles ``user_id`` holds in ``space_id`` now (None: not in that space); raises
        ``RolesUnavailable`` when the platform cannot be asked and no answer of the last
        few minutes is remembered."""
        key = (platform, space_id, user_id)
        now = self.clock.now()
        remembered = self._answers.get(key)
        if remembered is not None and now - remembered[0] < FRESH:
            return remembered[1]
        try:
            held = await self._ask(platform, space_id, user_id)
        except RolesUnavailable:
            if remembered is not None and now - remembered[0] < STALE_OK:
                return remembered[1]
            raise
        self._answers[key] = (now, held)
        self._answers.move_to_end(key)
        while len(self._answers) > REMEMBERED:
            self._answers.popitem(last=False)
        return held

    async def _ask(self, platform: str, space_id: str, user_id: str) -> HeldRoles | None:
        source = self._sources.get(platform)
        if source is None:
            raise RolesUnavailable(platform)
        try:
            return await asyncio.wait_for(source(space_id, user_id), ASK_TIMEOUT)
        except RolesUnavailable:
            raise
        except Exception as exc:
            # who was asked about is not logged: only that the platform did not answer
            log.warning("could not read roles from %s: %s", platform, type(exc).__name__)
            raise RolesUnavailable(platform) from exc
