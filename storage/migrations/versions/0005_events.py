"""events and RSVP: events, RSVPs and waitlist, delegations, meetings, milestones

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 05:37:49.121824
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("starts_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("link", sa.String(length=2000), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("rsvp_deadline", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminder_offsets", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["members.id"],
            name=op.f("fk_events_created_by_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_events_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_org_ends", ["org_id", "ends_at"], unique=False)

    op.create_table(
        "event_delegations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("lead_member_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_delegations_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_member_id"],
            ["members.id"],
            name=op.f("fk_event_delegations_lead_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_delegations")),
        sa.UniqueConstraint("event_id", "state", name=op.f("uq_event_delegations_event_id_state")),
    )
    with op.batch_alter_table("event_delegations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_delegations_lead_member_id"), ["lead_member_id"], unique=False
        )

    op.create_table(
        "event_meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("office", sa.String(length=200), nullable=False),
        sa.Column("legislator", sa.String(length=200), nullable=False),
        sa.Column("starts_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_meetings_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_meetings")),
    )
    with op.batch_alter_table("event_meetings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_meetings_event_id"), ["event_id"], unique=False)

    op.create_table(
        "event_milestones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reminder_offsets", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_milestones_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_milestones")),
    )
    with op.batch_alter_table("event_milestones", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_milestones_event_id"), ["event_id"], unique=False
        )

    op.create_table(
        "event_rsvps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("waitlist_seq", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=2), nullable=True),
        sa.Column("district", sa.String(length=8), nullable=True),
        sa.Column("attend", sa.String(length=12), nullable=True),
        sa.Column("first_time", sa.Boolean(), nullable=True),
        sa.Column("accessibility", sa.Text(), nullable=True),
        sa.Column("willing_to_lead", sa.Boolean(), nullable=True),
        sa.Column("reminder_offsets", sa.JSON(), nullable=True),
        sa.Column("attendance", sa.String(length=12), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_rsvps_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_event_rsvps_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_rsvps")),
        sa.UniqueConstraint(
            "event_id", "member_id", name=op.f("uq_event_rsvps_event_id_member_id")
        ),
    )
    with op.batch_alter_table("event_rsvps", schema=None) as batch_op:
        batch_op.create_index("ix_event_rsvps_event_status", ["event_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_rsvps_member_id"), ["member_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("event_rsvps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_rsvps_member_id"))
        batch_op.drop_index("ix_event_rsvps_event_status")

    op.drop_table("event_rsvps")
    with op.batch_alter_table("event_milestones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_milestones_event_id"))

    op.drop_table("event_milestones")
    with op.batch_alter_table("event_meetings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_meetings_event_id"))

    op.drop_table("event_meetings")
    with op.batch_alter_table("event_delegations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_delegations_lead_member_id"))

    op.drop_table("event_delegations")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_org_ends")

    op.drop_table("events")
