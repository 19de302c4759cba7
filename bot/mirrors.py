"""An event's copy on a platform that keeps events of its own (a Discord guild's Scheduled
Events), as the core asks an adapter to create, update or cancel it.

The request travels through the outbox as a message of kind ``MIRROR_KIND`` addressed to
the space (the guild), its details in the payload's reply (``MirrorSpec.to_reply``), so that
it is stored with the change that caused it and delivered, paced and retried like any
message. An adapter reads it back with ``MirrorSpec.from_reply``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.reply import Reply

#: the outbox kind of mirror requests
MIRROR_KIND = "event_mirror"
#: what a request asks: make the copy, bring it up to date, or call it off
ACTIONS = ("create", "update", "cancel")


@dataclass(frozen=True)
class MirrorSpec:
    """What the copy of an event should show."""

    action: str
    event_id: int
    name: str
    description: str
    location: str
    starts_at: datetime
    ends_at: datetime
    #: the channel of the event's announcement the copy links to ("" for none)
    post_channel: str = ""
    #: that announcement's message id, when known as the request is queued
    post_ref: str = ""
    #: the platform's id of the copy, when known as the request is queued
    external_id: str = ""

    def to_reply(self) -> Reply:
        """The request as an outbox payload."""
        return Reply(
            title=self.name,
            text=self.description,
            fields=[
                ("action", self.action),
                ("event", str(self.event_id)),
                ("location", self.location),
                ("start", self.starts_at.isoformat()),
                ("end", self.ends_at.isoformat()),
                ("post_channel", self.post_channel),
                ("post_ref", self.post_ref),
                ("external_id", self.external_id),
            ],
            ephemeral=False,
        )

    @classmethod
    def from_reply(cls, reply: Reply) -> MirrorSpec:
        """The request stored by ``to_reply``; ValueError for a payload that is not one."""
        fields = dict(reply.fields)
        action = fields.get("action", "")
        if action not in ACTIONS:
            raise ValueError(f"not a mirror request: action {action!r}")
        return cls(
            action=action,
            event_id=int(fields["event"]),
            name=reply.title,
            description=str(reply.text),
            location=fields.get("location", ""),
            starts_at=datetime.fromisoformat(fields["start"]),
            ends_at=datetime.fromisoformat(fields["end"]),
            post_channel=fields.get("post_channel", ""),
            post_ref=fields.get("post_ref", ""),
            external_id=fields.get("external_id", ""),
        )
