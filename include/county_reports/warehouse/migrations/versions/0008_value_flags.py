"""Warnings a unit must answer, ranked by their effect (issue 20 parts 3 and 4).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

- ``validation_issues.effect``: a warning's score on the county total (|value − expected| /
  total), the order the status page and the circular list warnings in.
- ``value_flags``: one row per value stored with an OUTLIER warning, ``confirmed`` once the unit
  answered "核实无误" (with its ``reason``) in that version. Values flagged before this revision
  are carried over as unconfirmed (as the history already treated them).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("validation_issues", sa.Column("effect", sa.Float(), nullable=True))
    op.create_table(
        "value_flags",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.Text(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=True),
        sa.Column("effect", sa.Float(), nullable=True),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"],
                                name=op.f("fk_value_flags_submission_id_submissions")),
        sa.PrimaryKeyConstraint("submission_id", "indicator", name=op.f("pk_value_flags")),
    )
    op.execute("INSERT INTO value_flags (submission_id, indicator, confirmed) "
               "SELECT DISTINCT submission_id, indicator, false FROM validation_issues "
               "WHERE rule = 'OUTLIER' AND indicator IS NOT NULL")


def downgrade() -> None:
    op.drop_table("value_flags")
    with op.batch_alter_table("validation_issues") as batch:
        batch.drop_column("effect")
