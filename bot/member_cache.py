"""Which member stands behind a platform account in an organization, remembered briefly.

Almost every command needs the caller's member id; remembering it saves a query on each.
An entry is only added after the unit of work that found it has committed, and is dropped
when this process links or erases that member. Another process may do either; member ids
are never reused, so a stale entry can only point at a member that no longer exists: a
write then fails on its foreign key and the dispatcher runs the command again without the
cache, and entries expire after ``ttl`` seconds so a read is never wrong for longer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from storage.members import MemberRecord


@dataclass(frozen=True)
class _Entry:
    record: MemberRecord
    expires: float


class MemberCache:
    """A bounded map (platform, user id, organization) → member, with expiry."""

    def __init__(self, ttl: float = 10.0, size: int = 50_000) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: dict[tuple[str, str, int], _Entry] = {}

    def get(self, platform: str, user_id: str, org_id: int, name: str) -> MemberRecord | None:
        """The remembered member, unless expired or the account's display name changed."""
        entry = self._entries.get((platform, user_id, org_id))
        if entry is None:
            return None
        if entry.expires < time.monotonic() or (name and name != entry.record.display_name):
            del self._entries[(platform, user_id, org_id)]
            return None
        return entry.record

    def put(self, platform: str, user_id: str, org_id: int, record: MemberRecord) -> None:
        """Remember a member found or stored by a committed unit of work."""
        if len(self._entries) >= self.size:
            for key in list(self._entries)[: self.size // 10 or 1]:
                del self._entries[key]
        self._entries[(platform, user_id, org_id)] = _Entry(record, time.monotonic() + self.ttl)

    def forget_member(self, member_id: int) -> None:
        """Drop every entry of a member (after /link merged them or /privacy erased them)."""
        for key in [k for k, e in self._entries.items() if e.record.id == member_id]:
            del self._entries[key]

    def forget(self, platform: str, user_id: str, org_id: int) -> None:
        """Drop one account's entry."""
        self._entries.pop((platform, user_id, org_id), None)
