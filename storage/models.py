"""The tables, as typed SQLAlchemy 2 models. Alembic migrations in ``migrations/`` make them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every model; constraint names are stable so migrations can refer to them."""

    metadata = MetaData(naming_convention=NAMING)


class Organization(Base):
    """A state chapter, union local or discussion group, as listed in the configuration."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))


class Space(Base):
    """A Slack team, Discord guild or console room that belongs to an organization."""

    __tablename__ = "spaces"
    __table_args__ = (UniqueConstraint("platform", "space_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    space_id: Mapped[str] = mapped_column(String(64))


class Member(Base):
    """A person. Each platform account of theirs is an Identity pointing here."""

    __tablename__ = "members"
    # Ids are never reused, so a member id remembered anywhere can never name someone else.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")


class Identity(Base):
    """One platform account (Slack user, Discord user, console name) of a member."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("platform", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    #: the platform's direct-message channel for this account, once known
    dm_channel: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Profile(Base):
    """What a member told the bot about themselves; every field optional."""

    __tablename__ = "profiles"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str | None] = mapped_column(String(2), nullable=True)
    library_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    classification: Mapped[str | None] = mapped_column(String(32), nullable=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    alert_dms: Mapped[bool] = mapped_column(Boolean, default=True)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    institution: Mapped[str | None] = mapped_column(String(200), nullable=True)
    city: Mapped[str | None] = mapped_column(String(100), nullable=True)
    district: Mapped[str | None] = mapped_column(String(8), nullable=True)


class OrgMember(Base):
    """That a member belongs to an organization (they used the bot in one of its spaces)."""

    __tablename__ = "org_members"

    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class RoleGrant(Base):
    """A role given to a member in an organization on top of what platform roles give."""

    __tablename__ = "role_grants"

    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16))


class PendingOptout(Base):
    """An organizer's record that an account wants no alert DMs, for an account the bot has not
    seen in the organization yet. It is applied (and removed) when the account first appears
    there; no member is stored for it before then."""

    __tablename__ = "pending_optouts"
    __table_args__ = (Index("ix_pending_optouts_account", "platform", "account"),)

    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LinkCode(Base):
    """A one-time code that joins a second platform account to a member. Only its hash is kept."""

    __tablename__ = "link_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: the account that entered the code and alone may confirm the join (none: not entered)
    entered_by: Mapped[int | None] = mapped_column(
        ForeignKey("identities.id", ondelete="CASCADE"), nullable=True
    )


class AuditEntry(Base):
    """An organizer's or admin's action, kept for accountability."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_org_at", "org_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), nullable=True
    )
    actor_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True, index=True
    )
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxMessage(Base):
    """One message to send (post, DM, edit, file), stored before it is sent."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_claim", "platform", "state", "next_attempt_at"),
        # the claim's order, over the rows still to send only
        Index(
            "ix_outbox_claim_order",
            "platform",
            "priority",
            "next_attempt_at",
            "id",
            sqlite_where=text("state IN ('pending', 'sending')"),
            postgresql_where=text("state IN ('pending', 'sending')"),
        ),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), nullable=True
    )
    platform: Mapped[str] = mapped_column(String(16))
    #: "channel" (a channel id) or "user" (a platform user id, sent as a direct message)
    target_kind: Mapped[str] = mapped_column(String(8))
    target: Mapped[str] = mapped_column(String(64))
    #: whose direct message this is: erasing the member erases it
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    #: the rank of the kind's priority class (``storage.queue.PRIORITY_CLASSES``): lower first
    priority: Mapped[int] = mapped_column(SmallInteger, default=2, server_default="2")
    payload: Mapped[str] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    #: for an edit: the message whose post is edited
    edit_of: Mapped[int | None] = mapped_column(
        ForeignKey("outbox.id", ondelete="CASCADE"), nullable=True, index=True
    )
    state: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(40), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: the platform's reference to the posted message (for edits)
    platform_ref: Mapped[str | None] = mapped_column(String(160), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class DueItem(Base):
    """Something that must happen at a time: the only source of truth for the scheduler."""

    __tablename__ = "due_items"
    __table_args__ = (
        Index("ix_due_items_claim", "state", "due_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    ref_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=True
    )
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), nullable=True, index=True
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: pending, running, done, missed, failed or cancelled
    state: Mapped[str] = mapped_column(String(12), default="pending")
    #: a unique name for the occurrence, so it is never scheduled twice
    key: Mapped[str | None] = mapped_column(String(160), unique=True, nullable=True)
    payload: Mapped[str] = mapped_column(Text, default="{}")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(40), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class Reminder(Base):
    """A reminder a member asked for, delivered by direct message where they asked."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("identities.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(500))
    when_text: Mapped[str] = mapped_column(String(100))
    #: how it repeats, as bot/when.py stores it ("weekly:0:09:00", "rrule:09:00:FREQ=…")
    recurrence: Mapped[str | None] = mapped_column(String(200), nullable=True)
    timezone: Mapped[str] = mapped_column(String(64))
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: active, done or cancelled
    state: Mapped[str] = mapped_column(String(12), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fired: Mapped[int] = mapped_column(Integer, default=0)


class LayoffReport(Base):
    """A report of layoffs, furloughs, cuts or closures. Anonymous ones keep no reporter and
    no time of their arrival: only the week, and the moment their moderation post was due."""

    __tablename__ = "layoff_reports"
    __table_args__ = (
        UniqueConstraint("org_id", "ref"),
        Index("ix_layoff_reports_org_status", "org_id", "status"),
        Index("ix_layoff_reports_org_employer", "org_id", "employer_key"),
        # covers /layoff stats: one ordered pass, no sort, no table lookups
        Index(
            "ix_layoff_reports_stats",
            "org_id",
            "status",
            "state",
            "library_type",
            "month",
            "workers",
            "visible_from",
            "counted_on",
        ),
        # cover the public tracker's counts and its list, latest first
        Index(
            "ix_layoff_reports_public",
            "org_id",
            "status",
            "published",
            "state",
            "kind",
            "counted_on",
            "month",
            "library_type",
            "workers",
            "employer_key",
        ),
        Index("ix_layoff_reports_public_list", "org_id", "status", "published", "counted_on"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    #: the number people see and type (L-4821): random, unique in the organization, so it
    #: does not tell the order reports arrived in
    ref: Mapped[int] = mapped_column(Integer)
    #: when an anonymous report's moderation post is due: before then no command, export or
    #: count shows it; None (named reports, and every report once moderated) is visible
    visible_from: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    employer: Mapped[str] = mapped_column(String(200))
    #: the employer's name folded for finding possible duplicates
    employer_key: Mapped[str] = mapped_column(String(200))
    library_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    city: Mapped[str | None] = mapped_column(String(100), nullable=True)
    state: Mapped[str | None] = mapped_column(String(2), nullable=True)
    #: layoff, furlough, hours-cut, position-eliminated, closure or hiring-freeze
    kind: Mapped[str] = mapped_column(String(24))
    #: None means unknown
    workers: Mapped[int | None] = mapped_column(Integer, nullable=True)
    classifications: Mapped[list[str]] = mapped_column(JSON, default=list)
    effective_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    source_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    #: full-time, part-time or both
    schedule: Mapped[str | None] = mapped_column(String(12), nullable=True)
    #: yes, no or unknown
    union_represented: Mapped[str | None] = mapped_column(String(8), nullable=True)
    details: Mapped[str | None] = mapped_column(Text, nullable=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    ok_to_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    #: shown on the public tracker once verified: a report with a source link from the start,
    #: one without when an organizer publishes it (/layoff publish)
    published: Mapped[bool] = mapped_column(Boolean, server_default=false())
    #: None for every anonymous report
    reporter_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True, index=True
    )
    #: pending, verified, rejected or duplicate
    status: Mapped[str] = mapped_column(String(12), default="pending")
    duplicate_of: Mapped[int | None] = mapped_column(
        ForeignKey("layoff_reports.id", ondelete="SET NULL"), nullable=True
    )
    #: an earlier report on the same employer within 30 days, flagged for moderators
    possible_duplicate_of: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: the Monday of the week the report arrived: the only time kept of its arrival
    received_week: Mapped[date] = mapped_column(Date)
    #: the one date the report counts on in statistics and exports: its effective date, else
    #: the Thursday of received_week (so a week counts in the month and year of its Thursday,
    #: the ISO rule)
    counted_on: Mapped[date] = mapped_column(Date)
    #: the month the report counts in ("2026-11"): the month of counted_on
    month: Mapped[str] = mapped_column(String(7), default="", server_default="")
    moderated_by: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    #: when the report was decided; of an anonymous report, the start of the day (UTC) only
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class LayoffTracker(Base):
    """How current an organization's public layoff tracker is: a version bumped whenever
    what it shows may have changed (a report verified, published or unpublished), under
    which web servers cache its pages. No row: version 0, never changed."""

    __tablename__ = "layoff_trackers"

    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer)
    #: when the version was last bumped (the tracker's Last-Modified)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LayoffReportCount(Base):
    """How many layoff reports one person filed in the current clock hour: the person only as
    a keyed hash (``HMAC(ballot secret, person)``), nothing else. Rows of past hours are
    deleted when their hour ends."""

    __tablename__ = "layoff_report_counts"

    person: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: the start of the clock hour counted (UTC)
    hour: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class Alert(Base):
    """An action alert: a sign-on letter, a call or email campaign, a show-up."""

    __tablename__ = "alerts"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    #: sign-on, call, email, show-up or other
    kind: Mapped[str] = mapped_column(String(16))
    link: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    #: {"states": [...], "library_types": [...], "classifications": [...]}; empty: everyone
    audience: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    #: what to say, with {name}, {state} and {target} filled in per member
    script: Mapped[str | None] = mapped_column(Text, nullable=True)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: draft, scheduled, sent or closed
    state: Mapped[str] = mapped_column(String(12), default="draft")
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AlertTarget(Base):
    """Someone an alert's members contact (a legislator's office), matched by state and district."""

    __tablename__ = "alert_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(2))
    district: Mapped[str | None] = mapped_column(String(8), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    office: Mapped[str | None] = mapped_column(String(200), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)


class AlertResponse(Base):
    """A member's signature, action taken, or "not for me" on an alert: one of each per member.

    When a member erases their data the row stays, without them, so the count stays right."""

    __tablename__ = "alert_responses"
    __table_args__ = (UniqueConstraint("alert_id", "member_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True, index=True
    )
    #: signed, acted or declined
    kind: Mapped[str] = mapped_column(String(12))
    #: where the member answered: slack, discord or console
    platform: Mapped[str] = mapped_column(String(16))
    #: the member's state when they answered, for counts by state
    state: Mapped[str | None] = mapped_column(String(2), nullable=True)
    #: for a signature: how it reads on the letter
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    institution: Mapped[str | None] = mapped_column(String(200), nullable=True)
    city: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AlertDelivery(Base):
    """That an alert was sent to a member by direct message (for the nudge, and the figures)."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (UniqueConstraint("alert_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox.id", ondelete="SET NULL"), nullable=True
    )
    nudged: Mapped[bool] = mapped_column(Boolean, default=False)


class Event(Base):
    """An event members RSVP to: a legislative day, a meeting, a webinar, a rally, a training."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_org_ends", "org_id", "ends_at"),
        Index("ix_events_series_occurrence", "series_id", "occurrence_start", unique=True),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: legislative-day, meeting, webinar, rally or training
    kind: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: the IANA zone the event's times were given in (its wall clock)
    timezone: Mapped[str] = mapped_column(String(64))
    place: Mapped[str | None] = mapped_column(String(300), nullable=True)
    link: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    #: None: no limit
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rsvp_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: reminder offsets before the start as typed, e.g. ["7d", "1d", "2h"]
    reminder_offsets: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: the iCalendar SEQUENCE: bumped by each edit, so calendars take the new version
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: scheduled or cancelled
    state: Mapped[str] = mapped_column(String(12), default="scheduled", server_default="scheduled")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    #: whether the event's channels get a message when it starts
    start_message: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: for an occurrence of a repeating event: its series
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("event_series.id", ondelete="CASCADE"), nullable=True
    )
    #: the start the series' rule gave this occurrence (its name, and RECURRENCE-ID)
    occurrence_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class EventSeries(Base):
    """A repeating event: its rule, where it starts, when it ends, and what each occurrence
    copies. Each occurrence is an ``events`` row of its own (own RSVPs and reminders)."""

    __tablename__ = "event_series"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    #: the rule as typed, e.g. "every 2nd tuesday"
    repeat: Mapped[str] = mapped_column(String(100))
    #: the rule as an RFC 5545 RRULE value, e.g. "FREQ=MONTHLY;BYDAY=2TU"
    rule: Mapped[str] = mapped_column(String(200))
    #: the IANA zone of the wall clock the occurrences keep
    timezone: Mapped[str] = mapped_column(String(64))
    first_start: Mapped[datetime] = mapped_column(UTCDateTime())
    until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: the fields each new occurrence copies (title, kind, length, place, offsets, ...)
    template: Mapped[dict[str, object]] = mapped_column(JSON)
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: scheduled or cancelled
    state: Mapped[str] = mapped_column(String(12), default="scheduled", server_default="scheduled")
    #: the latest occurrence start made into an event so far
    rolled_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EventMirror(Base):
    """An event's copy on a platform that keeps events of its own (a Discord guild's
    Scheduled Events), so that edits and cancellation reach it."""

    __tablename__ = "event_mirrors"
    __table_args__ = (UniqueConstraint("event_id", "platform", "space"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    #: the guild (or team) it lives in
    space: Mapped[str] = mapped_column(String(64))
    #: the platform's id of it, once created
    external_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: a digest of what it last showed
    shown: Mapped[str] = mapped_column(String(300), default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EventRsvp(Base):
    """A member's answer to an event: one per person (linked accounts are one member).

    ``status`` is going, maybe, no or waitlisted; the waitlist is in ``waitlist_seq`` order.
    The legislative-day details (state to accessibility) are visible to organizers only."""

    __tablename__ = "event_rsvps"
    __table_args__ = (
        UniqueConstraint("event_id", "member_id"),
        Index("ix_event_rsvps_event_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    #: where the member answered, so a promotion is told there
    platform: Mapped[str] = mapped_column(String(16))
    #: the place in line while waitlisted: numbers given in order under the event's lock
    waitlist_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: the state delegation the member goes with (legislative days)
    state: Mapped[str | None] = mapped_column(String(2), nullable=True)
    district: Mapped[str | None] = mapped_column(String(8), nullable=True)
    #: in-person or virtual
    attend: Mapped[str | None] = mapped_column(String(12), nullable=True)
    first_time: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    #: private: organizers only; erased with the member
    accessibility: Mapped[str | None] = mapped_column(Text, nullable=True)
    willing_to_lead: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    #: the member's own reminder offsets; None: the event's
    reminder_offsets: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    #: marked by organizers after the event: attended or no-show
    attendance: Mapped[str | None] = mapped_column(String(12), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EventDelegation(Base):
    """A state delegation of a legislative day and its lead."""

    __tablename__ = "event_delegations"
    __table_args__ = (UniqueConstraint("event_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(2))
    lead_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True, index=True
    )


class EventMeeting(Base):
    """A delegation's meeting with a member of Congress's office during a legislative day."""

    __tablename__ = "event_meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(2))
    office: Mapped[str] = mapped_column(String(200))
    legislator: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    place: Mapped[str | None] = mapped_column(String(300), nullable=True)


class EventMilestone(Base):
    """A dated item of an event (registration closes, hotel block ends, briefing call)."""

    __tablename__ = "event_milestones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    reminder_offsets: Mapped[list[str]] = mapped_column(JSON, default=list)


class Poll(Base):
    """A poll: a question, its options (2 to 20), how ballots are counted, when it closes."""

    __tablename__ = "polls"
    __table_args__ = (
        Index("ix_polls_org_state", "org_id", "state"),
        # a member's polls of the last day, for [limits] member_polls_per_day
        Index("ix_polls_created_by", "created_by", "created_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(300))
    #: the options' texts, in the order shown; ballots name them by position
    options: Mapped[list[str]] = mapped_column(JSON)
    #: single, multiple, ranked or approval
    kind: Mapped[str] = mapped_column(String(12))
    #: for kind multiple: the most options a ballot may choose
    max_choices: Mapped[int | None] = mapped_column(Integer, nullable=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    #: live (results shown while open) or after-close
    results: Mapped[str] = mapped_column(String(12), default="after-close")
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: open or closed
    state: Mapped[str] = mapped_column(String(8), default="open")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PollBallot(Base):
    """One ballot per voter and poll, changeable until the poll closes.

    ``voter_key`` is ``m:<member id>`` on a named poll and, on an anonymous one, a keyed hash
    of the poll and the member made with a secret that is never stored in the database. An
    anonymous ballot has no member id, no time, and no row id (SQLite: WITHOUT ROWID, rows
    ordered by the key), so nothing in the database links it to a member or dates it."""

    __tablename__ = "poll_ballots"
    __table_args__ = ({"sqlite_with_rowid": False},)

    poll_id: Mapped[int] = mapped_column(
        ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True
    )
    voter_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: the voter, on named polls only
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True, index=True
    )
    #: the chosen options' positions; for a ranked ballot, most preferred first
    choices: Mapped[list[int]] = mapped_column(JSON)


class ChannelPost(Base):
    """A post in a channel about one subject (an alert, a poll, an event), whose content and
    buttons are edited in place when what it shows changes."""

    __tablename__ = "channel_posts"
    __table_args__ = (UniqueConstraint("subject_kind", "subject_id", "platform", "channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: what the post is about: "alert", "poll" or "event", and that row's id
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(Integer)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(64))
    #: the outbox row that posted it: edits name it
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"))
    #: a digest of what the post last showed, so an edit that changes nothing is not sent
    shown: Mapped[str] = mapped_column(String(300), default="")
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    shown_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SlackRequestSeen(Base):
    """A signed Slack request already answered, kept while its signature could be replayed
    (Slack's 5 minutes). Only a digest of the timestamp and signature is stored: nothing of
    who sent it or what it said."""

    __tablename__ = "slack_requests_seen"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class CalendarFeed(Base):
    """A member's private calendar subscription for one organization's events. Only a
    SHA-256 digest of the address's token is kept: the address itself is shown once, by
    direct message."""

    __tablename__ = "calendar_feeds"
    __table_args__ = (UniqueConstraint("member_id", "org_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: when a calendar last fetched it
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class WebLogin(Base):
    """A one-time link to the organizers' dashboard, sent by DM: only a SHA-256 digest of its
    token is kept. It names the account and the space it was asked from, with the
    platform roles the person held there, so the role can be checked again on sign-in."""

    __tablename__ = "web_logins"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    space_id: Mapped[str] = mapped_column(String(64))
    account: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    #: the platform roles (ids) and, on Discord, role names the person held when asking
    roles: Mapped[list[str]] = mapped_column(JSON)
    role_names: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    #: when the link was spent on a sign-in; a spent link signs no one in again
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class WebSession(Base):
    """A signed-in browser on the organizers' dashboard: only a SHA-256 digest of the cookie's
    token is kept, with whom it signs in and where (as on the login link it came from, or the
    organization, account and space chosen since)."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    space_id: Mapped[str] = mapped_column(String(64))
    account: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    roles: Mapped[list[str]] = mapped_column(JSON)
    role_names: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
