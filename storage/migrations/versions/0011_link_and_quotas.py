"""per-member quotas: an index on the polls a member created

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-03 09:50:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # [limits] member_polls_per_day counts a member's polls of the last day.
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.create_index("ix_polls_created_by", ["created_by", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.drop_index("ix_polls_created_by")
