"""Allow the same content to come back as a new version; unit-sent codes and sections of any length.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

- Drop the unique (unit, period, content_hash): a unit that reverts a correction (A, B, A again)
  sends content equal to an older version, and that must become the newest version; only a
  re-send of the *latest* version is a duplicate (checked in store.py).
- Indicator codes, narrative kinds and sections are stored as the unit sent them, also when they
  are rejected: ``Text`` instead of short ``VARCHAR`` (PostgreSQL refused long ones; SQLite never did).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FREE_TEXT = (("submission_values", "indicator", sa.String(40), False),
              ("narratives", "kind", sa.String(40), False),
              ("narratives", "section", sa.String(60), True),
              ("validation_issues", "indicator", sa.String(40), True))


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_constraint("uq_submissions_unit_period_content_hash", type_="unique")
    for table, column, old, nullable in _FREE_TEXT:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=sa.Text(), existing_type=old, existing_nullable=nullable)


def downgrade() -> None:
    for table, column, old, nullable in _FREE_TEXT:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=old, existing_type=sa.Text(), existing_nullable=nullable)
    with op.batch_alter_table("submissions") as batch:
        batch.create_unique_constraint("uq_submissions_unit_period_content_hash",
                                       ["unit", "period", "content_hash"])
