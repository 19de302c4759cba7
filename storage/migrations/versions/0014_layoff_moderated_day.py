"""layoff moderated day: one counting date per report, and the day only of an anonymous
report's moderation

``counted_on`` is the date a report counts on in statistics and exports: its effective date,
else the Thursday of the week it was received (``received_week`` + 3 days, the ISO rule);
existing reports get it, and their ``month`` is recomputed from it (an anonymous report
received in the week of Thursday December 3 moves from November to December). The covering
index of /layoff stats takes the new column, so ``since:`` reads the index only. The
``moderated_at`` of every anonymous report is cut to the start of its day (UTC), as the store
now writes it. The downgrade drops the column and puts the month back as it was computed
before; the cut times stay cut.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 13:40:00.000000
"""

from __future__ import annotations

from datetime import UTC

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

#: the columns of the covering index of /layoff stats before this revision
STATS = ["org_id", "status", "state", "library_type", "month", "workers", "visible_from"]


def _month_sql(day: str) -> str:
    """The SQL of the month ("2026-12") of a date expression, on this database."""
    if op.get_bind().dialect.name == "postgresql":
        return f"to_char({day}, 'YYYY-MM')"
    return f"substr({day}, 1, 7)"


def _cut_anonymous_moderation_to_the_day() -> None:
    bind = op.get_bind()
    reports = sa.table(
        "layoff_reports",
        sa.column("id", sa.Integer()),
        sa.column("anonymous", sa.Boolean()),
        sa.column("moderated_at", storage.types.UTCDateTime(timezone=True)),
    )
    found = bind.execute(
        sa.select(reports.c.id, reports.c.moderated_at).where(
            reports.c.anonymous, reports.c.moderated_at.is_not(None)
        )
    ).all()
    days = [
        {
            "report_id": report_id,
            "day": at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0),
        }
        for report_id, at in found
    ]
    if days:
        bind.execute(
            reports.update()
            .where(reports.c.id == sa.bindparam("report_id"))
            .values(moderated_at=sa.bindparam("day")),
            days,
        )


def upgrade() -> None:
    with op.batch_alter_table("layoff_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("counted_on", sa.Date(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        thursday = "received_week + 3"
    else:
        thursday = "date(received_week, '+3 days')"
    op.execute(f"UPDATE layoff_reports SET counted_on = coalesce(effective_date, {thursday})")
    op.execute(f"UPDATE layoff_reports SET month = {_month_sql('counted_on')}")
    _cut_anonymous_moderation_to_the_day()
    with op.batch_alter_table(
        "layoff_reports", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.alter_column("counted_on", existing_type=sa.Date(), nullable=False)
        batch_op.drop_index("ix_layoff_reports_stats")
        batch_op.create_index("ix_layoff_reports_stats", [*STATS, "counted_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table(
        "layoff_reports", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_index("ix_layoff_reports_stats")
        batch_op.create_index("ix_layoff_reports_stats", STATS, unique=False)
        batch_op.drop_column("counted_on")
    op.execute(
        "UPDATE layoff_reports SET month = " + _month_sql("coalesce(effective_date, received_week)")
    )
