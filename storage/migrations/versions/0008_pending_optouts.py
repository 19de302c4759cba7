"""pending alert-DM opt-outs imported by organizers for accounts not seen yet

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 06:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_optouts",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("imported_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_pending_optouts_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "platform", "account", name=op.f("pk_pending_optouts")),
    )
    # /privacy export and delete find a person's rows by account, across organizations.
    with op.batch_alter_table("pending_optouts", schema=None) as batch_op:
        batch_op.create_index("ix_pending_optouts_account", ["platform", "account"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pending_optouts", schema=None) as batch_op:
        batch_op.drop_index("ix_pending_optouts_account")
    op.drop_table("pending_optouts")
