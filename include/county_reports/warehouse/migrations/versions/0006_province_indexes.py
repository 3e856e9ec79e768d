"""Indexes for a warehouse at province size (3,000 units × 150 indicators × 12 months ≈ 5.4 million values).

Revision ID: 0006
Revises: 0002
Create Date: 2026-12-01

- ``ix_submissions_period_unit``: the reads by month — completeness and the reporting rate (the
  status page: every unit × 12 months), a month's validation report, the latest month — find
  their rows by ``period`` (the unique (unit, period, version) index serves reads by unit).
- ``ix_feedback_unit_period``: a unit's or a month's feedback attempts (the status pages) without
  reading every attempt ever made.
- PostgreSQL: extended statistics ``st_submissions_unit_period`` (ndistinct of (unit, period)):
  without them the planner takes unit and period for independent, expects ~3,700 groups where
  a province year has 36,000, and the status page's aggregate spills to disk.
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_submissions_period_unit", "submissions", ["period", "unit"])
    op.create_index("ix_feedback_unit_period", "feedback", ["unit", "period"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE STATISTICS IF NOT EXISTS st_submissions_unit_period (ndistinct) "
                   "ON unit, period FROM submissions")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_submissions_unit_period")
    op.drop_index("ix_feedback_unit_period", table_name="feedback")
    op.drop_index("ix_submissions_period_unit", table_name="submissions")
