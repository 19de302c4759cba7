"""Forms longer than one Discord modal (five inputs): steps, with the answers so far kept.

A modal cannot open another modal, so between two steps the person gets a short private
message with Continue (and Send now, once every required field is filled). The answers so
far are kept in this process's memory for 15 minutes under a random token (with the account
that may continue it), never in the database or a log: an abandoned draft of an anonymous
layoff report leaves nothing behind. A restart loses drafts; the person is told to start
again. A guild's interactions always reach the process of its shard, so a draft is found.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from bot.reply import Form

#: how long the answers of an unfinished form are kept
DRAFT_SECONDS = 15 * 60
PREFIX = "rbform"


@dataclass
class Draft:
    """A long form being filled in, step by step."""

    form: Form
    user_id: str
    values: dict[str, str] = field(default_factory=dict)
    expires: float = field(default_factory=lambda: time.monotonic() + DRAFT_SECONDS)


class Drafts:
    """Unfinished long forms, by token."""

    def __init__(self) -> None:
        self._drafts: dict[str, Draft] = {}

    def start(self, form: Form, user_id: str) -> str:
        """Keep a new draft; its token."""
        self._forget_expired()
        token = secrets.token_hex(8)
        self._drafts[token] = Draft(form, user_id)
        return token

    def get(self, token: str, user_id: str) -> Draft | None:
        """The person's draft, if it is still kept."""
        self._forget_expired()
        draft = self._drafts.get(token)
        if draft is None or draft.user_id != user_id:
            return None
        return draft

    def finish(self, token: str) -> None:
        """Forget a draft (sent, or given up)."""
        self._drafts.pop(token, None)

    def _forget_expired(self) -> None:
        now = time.monotonic()
        for token in [t for t, d in self._drafts.items() if d.expires < now]:
            del self._drafts[token]


def step_id(token: str, step: int | str) -> str:
    """The custom id of a step's modal or button: ``rbform:<token>:<step>``."""
    return f"{PREFIX}:{token}:{step}"


def parse_step_id(custom_id: str) -> tuple[str, str] | None:
    """(token, step) of a step's custom id, or None if it is not one."""
    parts = custom_id.split(":")
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    return parts[1], parts[2]


def missing_required(draft: Draft) -> list[str]:
    """Required fields of the draft's form not filled in yet."""
    return [
        f.name
        for f in draft.form.fields
        if f.required and not (draft.values.get(f.name) or f.default).strip()
    ]
