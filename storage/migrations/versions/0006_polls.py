"""polls, their ballots (one per voter, keyed without a member on anonymous polls) and posts

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 05:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "polls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=300), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("max_choices", sa.Integer(), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("results", sa.String(length=12), nullable=False),
        sa.Column("closes_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("closed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["members.id"],
            name=op.f("fk_polls_created_by_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_polls_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_polls")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.create_index("ix_polls_org_state", ["org_id", "state"], unique=False)

    op.create_table(
        "poll_ballots",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("voter_key", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_poll_ballots_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"],
            ["polls.id"],
            name=op.f("fk_poll_ballots_poll_id_polls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("poll_id", "voter_key", name=op.f("pk_poll_ballots")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("poll_ballots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_poll_ballots_member_id"), ["member_id"], unique=False)

    op.create_table(
        "poll_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("shown", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name=op.f("fk_poll_posts_outbox_id_outbox"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"],
            ["polls.id"],
            name=op.f("fk_poll_posts_poll_id_polls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_posts")),
        sa.UniqueConstraint(
            "poll_id", "platform", "channel", name=op.f("uq_poll_posts_poll_id_platform_channel")
        ),
    )


def downgrade() -> None:
    op.drop_table("poll_posts")
    with op.batch_alter_table("poll_ballots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_ballots_member_id"))
    op.drop_table("poll_ballots")
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.drop_index("ix_polls_org_state")
    op.drop_table("polls")
