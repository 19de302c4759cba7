"""layoff month for stats: the month each report counts in, and a covering index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 00:20:34.367138
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("layoff_reports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("month", sa.String(length=7), nullable=False, server_default="")
        )
    day = "coalesce(effective_date, received_week)"
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"UPDATE layoff_reports SET month = to_char({day}, 'YYYY-MM')")
    else:
        op.execute(f"UPDATE layoff_reports SET month = substr({day}, 1, 7)")
    with op.batch_alter_table("layoff_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_layoff_reports_stats",
            ["org_id", "status", "state", "library_type", "month", "workers"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("layoff_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_layoff_reports_stats")
        batch_op.drop_column("month")
