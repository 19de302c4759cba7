"""outbox priority classes, and an index in the claim's order over the rows still to send

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.queue import KIND_PRIORITY, PRIORITY_CLASSES, priority_rank

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UNSENT = "state IN ('pending', 'sending')"


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "priority",
                sa.SmallInteger(),
                server_default=str(PRIORITY_CLASSES.index("routine")),
                nullable=False,
            )
        )
    # Messages still waiting keep the class of their kind; sent ones need none.
    outbox = sa.table("outbox", sa.column("kind"), sa.column("priority"), sa.column("state"))
    for kind in KIND_PRIORITY:
        op.execute(
            outbox.update()
            .where(outbox.c.kind == kind, sa.text(UNSENT))
            .values(priority=priority_rank(kind))
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_claim_order",
            ["platform", "priority", "next_attempt_at", "id"],
            unique=False,
            sqlite_where=sa.text(UNSENT),
            postgresql_where=sa.text(UNSENT),
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_claim_order")
        batch_op.drop_column("priority")
