"""The ballot secret and voter keys.

Anonymous ballots are keyed by ``HMAC(ballot secret, poll id, member id)``: the secret is in
the configuration (or a file beside a SQLite database), never in the database, so the
database alone cannot link a ballot to a member, while the bot can still find a member's
ballot to refuse a second one or change it. Named ballots are keyed by the member's id; a
ballot whose voter erased their data is kept under a random key nobody can produce again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

from bot.errors import ValidationError
from storage.polls import PollRecord

if TYPE_CHECKING:
    from bot.services import Services


def anonymous_key(secret: bytes, poll_id: int, member_id: int) -> str:
    """An anonymous ballot's voter key: an HMAC-SHA256 of the poll and the member."""
    message = f"rallybot ballot|{poll_id}|{member_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def named_key(member_id: int) -> str:
    """A named ballot's voter key: the member's id, readable by anyone."""
    return f"m:{member_id}"


def orphan_key() -> str:
    """A key no member can ever produce again: for a ballot whose voter erased their data."""
    return "x:" + secrets.token_hex(31)


def needs_secret(services: Services, field: str = "id") -> bytes:
    """The ballot secret, or a refusal naming ``field`` that says how to get one."""
    secret = services.ballot_secret
    if secret is None:
        raise ValidationError(
            field,
            "anonymous polls need a ballot secret, which this bot does not have: an admin sets "
            "[polls] ballot_secret, the same for every bot process; until then, create polls "
            "with anonymous:no",
        )
    return secret


def voter_key(services: Services, poll: PollRecord, member_id: int) -> str:
    """The key of a member's ballot on this poll."""
    if poll.anonymous:
        return anonymous_key(needs_secret(services), poll.id, member_id)
    return named_key(member_id)
