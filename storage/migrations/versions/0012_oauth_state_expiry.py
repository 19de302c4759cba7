"""Slack HTTP edge: replayed signatures remembered for their window, OAuth states purged

``slack_requests_seen`` keeps a digest of each signed Slack request answered until its
5-minute window ends, so a replay is not run again by any process; an index on
``slack_oauth_states.expire_at`` lets expired OAuth states be purged without a scan.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slack_requests_seen",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_slack_requests_seen")),
    )
    with op.batch_alter_table("slack_requests_seen", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_slack_requests_seen_expires_at"), ["expires_at"], unique=False
        )
    with op.batch_alter_table("slack_oauth_states", schema=None) as batch_op:
        batch_op.create_index("ix_slack_oauth_states_expire_at", ["expire_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("slack_oauth_states", schema=None) as batch_op:
        batch_op.drop_index("ix_slack_oauth_states_expire_at")
    with op.batch_alter_table("slack_requests_seen", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slack_requests_seen_expires_at"))
    op.drop_table("slack_requests_seen")
