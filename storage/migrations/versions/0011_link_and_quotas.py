"""/link asks to confirm: the account that entered a code; per-member quotas: an index on
the polls a member created

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 09:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Only the account that entered a code (and saw whose account it joins) may confirm it.
    with op.batch_alter_table("link_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entered_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_link_codes_entered_by_identities"),
            "identities",
            ["entered_by"],
            ["id"],
            ondelete="CASCADE",
        )
    # [limits] member_polls_per_day counts a member's polls of the last day.
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.create_index("ix_polls_created_by", ["created_by", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.drop_index("ix_polls_created_by")
    with op.batch_alter_table("link_codes", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_link_codes_entered_by_identities"), type_="foreignkey"
        )
        batch_op.drop_column("entered_by")
