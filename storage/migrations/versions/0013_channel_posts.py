"""one table of channel posts with a live view, for alerts, polls and events

``channel_posts`` replaces ``alert_posts`` and ``poll_posts``: one row per post of a subject
(``subject_kind`` "alert", "poll" or "event" and its id) in one channel, with the outbox row
that posted it and a digest of what it last showed. The rows of both old tables are copied
(their posting time taken from their outbox row), then the old tables are dropped; the
downgrade recreates them and copies their rows back (event posts have no old table).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

#: the old tables: (table, subject kind, subject table, subject column, shown length)
_OLD = (
    ("alert_posts", "alert", "alerts", "alert_id", 200),
    ("poll_posts", "poll", "polls", "poll_id", 300),
)


def upgrade() -> None:
    op.create_table(
        "channel_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("shown", sa.String(length=300), nullable=False),
        sa.Column("posted_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("shown_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_channel_posts_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name=op.f("fk_channel_posts_outbox_id_outbox"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_posts")),
        sa.UniqueConstraint(
            "subject_kind",
            "subject_id",
            "platform",
            "channel",
            name=op.f("uq_channel_posts_subject_kind_subject_id_platform_channel"),
        ),
    )
    for table, kind, subjects, column, _ in _OLD:
        op.execute(
            "INSERT INTO channel_posts (subject_kind, subject_id, org_id, platform, channel, "
            "outbox_id, shown, posted_at, shown_at) "
            f"SELECT '{kind}', p.{column}, s.org_id, p.platform, p.channel, p.outbox_id, "
            "p.shown, o.created_at, o.created_at "
            f"FROM {table} p JOIN {subjects} s ON s.id = p.{column} "
            "JOIN outbox o ON o.id = p.outbox_id ORDER BY p.id"
        )
        op.drop_table(table)


def downgrade() -> None:
    for table, kind, subjects, column, length in _OLD:
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column(column, sa.Integer(), nullable=False),
            sa.Column("platform", sa.String(length=16), nullable=False),
            sa.Column("channel", sa.String(length=64), nullable=False),
            sa.Column("outbox_id", sa.Integer(), nullable=False),
            sa.Column("shown", sa.String(length=length), nullable=False),
            sa.ForeignKeyConstraint(
                [column],
                [f"{subjects}.id"],
                name=op.f(f"fk_{table}_{column}_{subjects}"),
                ondelete="CASCADE",
            ),
            sa.ForeignKeyConstraint(
                ["outbox_id"],
                ["outbox.id"],
                name=op.f(f"fk_{table}_outbox_id_outbox"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
            sa.UniqueConstraint(
                column, "platform", "channel", name=op.f(f"uq_{table}_{column}_platform_channel")
            ),
        )
        op.execute(
            f"INSERT INTO {table} ({column}, platform, channel, outbox_id, shown) "
            f"SELECT subject_id, platform, channel, outbox_id, substr(shown, 1, {length}) "
            f"FROM channel_posts WHERE subject_kind = '{kind}' ORDER BY id"
        )
    op.drop_table("channel_posts")
