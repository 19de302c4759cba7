"""event lifecycle: edits, cancellation, repeating series, and platform mirrors of events

``events`` gains ``sequence`` (the iCalendar SEQUENCE, bumped by each edit), ``state``
(scheduled or cancelled) with ``cancelled_at`` and ``cancel_reason``, ``start_message``
(whether the event's channels are told when it starts), and, for an occurrence of a
repeating event, ``series_id`` and ``occurrence_start`` (the start the rule gave it, which
names it even after it is moved: its iCalendar RECURRENCE-ID).

``event_series`` holds a repeating event: the rule as typed and as an RRULE, its first start
and timezone (occurrences keep their wall-clock time across daylight-saving changes), its
``until`` or ``count``, and the fields each new occurrence copies (``template``).

``event_mirrors`` records an event's copy on a platform that keeps events of its own (a
Discord guild's Scheduled Events), so that edits and cancellation reach it.

``reminders.recurrence`` widens from 40 to 200 characters: a reminder may now repeat by any
rule of the one repeat grammar, stored as its time of day and RRULE
(``rrule:09:00:FREQ=MONTHLY;BYDAY=1MO``).

For the public layoff tracker (issue 16), ``layoff_reports`` gains ``published`` (shown on
the tracker once verified: every report with a source link, and one without that an
organizer published; existing reports with a source link are set so) and two indexes that
cover the tracker's counts and list; ``layoff_trackers`` holds each organization's tracker
version and when it last changed (bumped whenever what the tracker shows may have changed,
so its pages are cached and revalidated by one primary-key read).

For the organizers' dashboard (issue 16), ``web_logins`` holds the one-time login links sent
by DM and ``web_sessions`` the signed-in browsers, each by a SHA-256 digest of its token
(never the token), with the account, space and platform roles it signs in as.

Existing events become scheduled, sequence 0, with a start message. The downgrade drops the
new tables and columns; occurrences of a series stay as separate events; a reminder repeating
by such a rule, which the older code cannot read, is cancelled.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 16:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table(
        "layoff_reports", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.add_column(
            sa.Column("published", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(
            "ix_layoff_reports_public",
            [
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
            ],
        )
        batch_op.create_index(
            "ix_layoff_reports_public_list", ["org_id", "status", "published", "counted_on"]
        )
    op.execute("UPDATE layoff_reports SET published = true WHERE source_url IS NOT NULL")
    op.create_table(
        "layoff_trackers",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_layoff_trackers_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_layoff_trackers")),
    )
    op.create_table(
        "event_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("repeat", sa.String(length=100), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("first_start", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("until", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("template", sa.JSON(), nullable=False),
        sa.Column("sequence", sa.Integer(), server_default="0", nullable=False),
        sa.Column("state", sa.String(length=12), server_default="scheduled", nullable=False),
        sa.Column("rolled_until", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_event_series_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["members.id"],
            name=op.f("fk_event_series_created_by_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_series")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table(
        "events", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.add_column(sa.Column("sequence", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("state", sa.String(length=12), server_default="scheduled", nullable=False)
        )
        batch_op.add_column(
            sa.Column("cancelled_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("cancel_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(
            sa.Column("start_message", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(sa.Column("series_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("occurrence_start", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_events_series_id_event_series"),
            "event_series",
            ["series_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(
            "ix_events_series_occurrence", ["series_id", "occurrence_start"], unique=True
        )
    op.create_table(
        "event_mirrors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("space", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("shown", sa.String(length=300), server_default="", nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_mirrors_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_mirrors")),
        sa.UniqueConstraint(
            "event_id", "platform", "space", name=op.f("uq_event_mirrors_event_id")
        ),
    )
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.alter_column(
            "recurrence",
            existing_type=sa.String(length=40),
            type_=sa.String(length=200),
            existing_nullable=True,
        )
    # calendar feeds: a member's private subscription address, only its digest kept
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_calendar_feeds_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_calendar_feeds_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feeds_token_hash")),
        sa.UniqueConstraint("member_id", "org_id", name=op.f("uq_calendar_feeds_member_id")),
    )

    # the organizers' dashboard (issue 16): one-time login links and signed-in browsers
    op.create_table(
        "web_logins",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("space_id", sa.String(length=64), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("role_names", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_web_logins_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_web_logins_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_web_logins")),
    )
    op.create_index(op.f("ix_web_logins_expires_at"), "web_logins", ["expires_at"], unique=False)
    op.create_index(op.f("ix_web_logins_member_id"), "web_logins", ["member_id"], unique=False)
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("space_id", sa.String(length=64), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("role_names", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_web_sessions_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_web_sessions_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_web_sessions")),
    )
    op.create_index(
        op.f("ix_web_sessions_expires_at"), "web_sessions", ["expires_at"], unique=False
    )
    op.create_index(op.f("ix_web_sessions_member_id"), "web_sessions", ["member_id"], unique=False)


def downgrade() -> None:
    op.drop_table("calendar_feeds")
    op.drop_table("web_sessions")
    op.drop_table("web_logins")
    op.execute(
        "UPDATE reminders SET state = 'cancelled', next_at = NULL, recurrence = NULL "
        "WHERE recurrence LIKE 'rrule:%'"
    )
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.alter_column(
            "recurrence",
            existing_type=sa.String(length=200),
            type_=sa.String(length=40),
            existing_nullable=True,
        )
    op.drop_table("event_mirrors")
    with op.batch_alter_table(
        "events", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_index("ix_events_series_occurrence")
        batch_op.drop_constraint(batch_op.f("fk_events_series_id_event_series"), type_="foreignkey")
        for column in (
            "occurrence_start",
            "series_id",
            "start_message",
            "cancel_reason",
            "cancelled_at",
            "state",
            "sequence",
        ):
            batch_op.drop_column(column)
    op.drop_table("event_series")
    op.drop_table("layoff_trackers")
    with op.batch_alter_table(
        "layoff_reports", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_index("ix_layoff_reports_public_list")
        batch_op.drop_index("ix_layoff_reports_public")
        batch_op.drop_column("published")
