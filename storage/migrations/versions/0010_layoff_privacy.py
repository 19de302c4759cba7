"""layoff privacy: random report references, the time a report becomes visible, and the
hourly count of reports per person as a keyed hash

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:00:00.000000
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

#: the references given to existing reports: random in this range, wider for a big organization
LOW, HIGH = 1000, 99_999
#: the columns of the covering index of /layoff stats before this revision
STATS = ["org_id", "status", "state", "library_type", "month", "workers"]


def _give_references() -> None:
    """Give every existing report a random reference, unique in its organization."""
    bind = op.get_bind()
    reports = sa.table("layoff_reports", sa.column("id"), sa.column("org_id"), sa.column("ref"))
    by_org: dict[int, list[int]] = {}
    for report_id, org_id in bind.execute(sa.select(reports.c.id, reports.c.org_id)):
        by_org.setdefault(org_id, []).append(report_id)
    pick = secrets.SystemRandom()
    for ids in by_org.values():
        high = max(HIGH, LOW + 10 * len(ids))
        refs = pick.sample(range(LOW, high + 1), len(ids))
        bind.execute(
            reports.update()
            .where(reports.c.id == sa.bindparam("report_id"))
            .values(ref=sa.bindparam("new_ref")),
            [{"report_id": i, "new_ref": r} for i, r in zip(ids, refs, strict=True)],
        )


def upgrade() -> None:
    with op.batch_alter_table("layoff_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ref", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("visible_from", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
    _give_references()
    # An anonymous report whose moderation post is still held back stays hidden until it goes.
    op.execute(
        "UPDATE layoff_reports SET visible_from = (SELECT min(o.created_at) FROM outbox o "
        "WHERE o.state = 'pending' AND o.edit_of IS NULL AND o.idempotency_key LIKE "
        "'layoff:' || CAST(layoff_reports.id AS VARCHAR(12)) || ':mod:%') WHERE anonymous"
    )
    with op.batch_alter_table(
        "layoff_reports", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.alter_column("ref", existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_layoff_reports_org_id_ref"), ["org_id", "ref"]
        )
        # /layoff stats passes over hidden reports and still reads the index only
        batch_op.drop_index("ix_layoff_reports_stats")
        batch_op.create_index("ix_layoff_reports_stats", [*STATS, "visible_from"], unique=False)
    op.create_table(
        "layoff_report_counts",
        sa.Column("person", sa.String(length=64), nullable=False),
        sa.Column("hour", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("person", "hour", name=op.f("pk_layoff_report_counts")),
    )


def downgrade() -> None:
    op.drop_table("layoff_report_counts")
    with op.batch_alter_table(
        "layoff_reports", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_index("ix_layoff_reports_stats")
        batch_op.create_index("ix_layoff_reports_stats", STATS, unique=False)
        batch_op.drop_constraint(batch_op.f("uq_layoff_reports_org_id_ref"), type_="unique")
        batch_op.drop_column("visible_from")
        batch_op.drop_column("ref")
