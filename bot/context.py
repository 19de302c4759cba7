"""The context a handler runs in: who is asking, where, and its unit of work (``bot.unit``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.config import DISCORD_ROLE_ID
from bot.registry import Role
from bot.unit import UnitOfWork
from storage import audit, members, orgs
from storage.members import MemberRecord, ProfileRecord
from storage.orgs import OrgRecord

if TYPE_CHECKING:
    from bot.config import OrgConfig, RoleSources


@dataclass(frozen=True)
class Invocation:
    """What an adapter knows about a command or click when it arrives."""

    platform: str
    space_id: str
    channel_id: str
    user_id: str
    display_name: str = ""
    #: the platform's roles of the person: Discord role ids, Slack user group ids; at the
    #: console, the role word of ``!as``
    platform_roles: frozenset[str] = frozenset()
    #: Discord only: the names of the person's roles, matched exactly (case included)
    role_names: frozenset[str] = frozenset()
    is_dm: bool = False
    #: a person is there to answer a form
    interactive: bool = False
    #: typed at the local console, where `!as NAME ROLE` names the role directly
    console: bool = False


def config_role(org: OrgConfig, inv: Invocation) -> Role:
    """The role the configuration gives this person through their platform roles.

    A configured Discord role of 17 to 20 digits matches only the role with that id; any
    other entry matches only a role with exactly that name. Slack user groups match by id."""

    def holds(sources: RoleSources) -> bool:
        if inv.console and {r.lower() for r in inv.platform_roles} & {
            r.lower() for r in sources.console_roles
        }:
            return True
        if inv.platform == "slack":
            groups = inv.platform_roles & set(sources.slack_usergroups)
            return inv.user_id in sources.slack_users or bool(groups)
        if inv.platform == "discord":
            ids, names = inv.platform_roles, inv.role_names
            return any(
                entry in (ids if DISCORD_ROLE_ID.fullmatch(entry) else names)
                for entry in sources.discord_roles
            )
        return False

    if holds(org.admins):
        return Role.ADMIN
    if holds(org.organizers):
        return Role.ORGANIZER
    return Role.MEMBER


@dataclass
class Context(UnitOfWork):
    """Everything a handler may use: who is asking, where, and the command's unit of work."""

    invocation: Invocation
    org: OrgRecord
    org_config: OrgConfig
    role: Role
    command: str
    _member: MemberRecord | None = field(default=None, repr=False)
    _role_checked: bool = field(default=False, repr=False)
    #: the member was looked up in this unit of work and may be cached once it commits
    _remember: bool = field(default=False, repr=False)
    #: the database was asked for the member in this unit of work and had none
    _absent: bool = field(default=False, repr=False)
    #: the profile of a member stored by this unit of work, as stored
    _new_profile: ProfileRecord | None = field(default=None, repr=False)

    @property
    def platform(self) -> str:
        """Where the person is: slack, discord or console."""
        return self.invocation.platform

    async def member(self) -> MemberRecord:
        """The person as a member, stored now if this is their first stored action."""
        if self._member is None:
            inv = self.invocation
            name = inv.display_name or inv.user_id
            cache = self.services.members
            cached = cache.get(inv.platform, inv.user_id, self.org.id, name)
            if cached is not None:
                self._member = cached
            elif self._absent:
                # asked already in this unit of work: new, so stored without asking again
                self._member, self._new_profile = await members.create_member(
                    self.conn, inv.platform, inv.user_id, name, self.org.id
                )
                self._remember = True
            else:
                self._member, self._new_profile = await members.find_or_create_member(
                    self.conn, inv.platform, inv.user_id, name, self.org.id
                )
                self._remember = True
        return self._member

    @property
    def member_is_new(self) -> bool:
        """The member was stored by this unit of work (their first stored action): they have
        no answers, ballots or other records yet."""
        return self._new_profile is not None

    async def profile(self) -> ProfileRecord:
        """The member's profile (``member`` first): as stored if this unit of work stored
        the member, else read."""
        member = await self.member()
        if self._new_profile is not None:
            return self._new_profile
        return await members.profile(self.conn, member.id)

    async def existing_member(self) -> MemberRecord | None:
        """The person as a member if already stored; stores nothing."""
        if self._member is None:
            inv = self.invocation
            cached = self.services.members.get(
                inv.platform, inv.user_id, self.org.id, inv.display_name or inv.user_id
            )
            if cached is not None:
                self._member = cached
            elif not self._absent:
                self._member = await members.find_member(self.conn, inv.platform, inv.user_id)
                self._absent = self._member is None
        return self._member

    def forget_member(self, member_id: int) -> None:
        """Say that a member was merged away or erased, so no process memory keeps them."""
        self.services.members.forget_member(member_id)
        if self._member is not None and self._member.id == member_id:
            self._remember = False

    def committed(self) -> None:
        """Called once the unit of work has committed: remember the member it stored or found,
        and wake the delivery engine and scheduler for what it added."""
        if self._remember and self._member is not None:
            inv = self.invocation
            self.services.members.put(inv.platform, inv.user_id, self.org.id, self._member)
        super().committed()

    async def effective_role(self) -> Role:
        """The person's role: platform roles, raised by any role granted in the database."""
        if not self._role_checked:
            self._role_checked = True
            member = await self.existing_member()
            if member is not None:
                granted = await orgs.granted_role(self.conn, self.org.id, member.id)
                if granted:
                    self.role = max(self.role, Role[granted.upper()])
        return self.role

    async def audit(
        self, action: str, target: str = "", *, day_only: bool = False, **detail: object
    ) -> None:
        """Record an organizer's or admin's action in the audit log; with ``day_only`` its
        time is the day's start (UTC), for an action whose moment must not be kept."""
        member = await self.member()
        at = self.now
        if day_only:
            at = at.replace(hour=0, minute=0, second=0, microsecond=0)
        await audit.add_entry(self.conn, self.org.id, member.id, action, target, detail, at=at)
