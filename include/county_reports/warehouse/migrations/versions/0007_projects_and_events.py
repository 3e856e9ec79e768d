"""The key-projects ledger and the register of events: rows of a submission version (issue 19).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

- ``project_rows``: a unit's monthly row per key project (investment this month, in the year,
  since the start; 形象进度; status and cause; milestones reached as JSON) or a township's land
  row (亩, 户), keyed by the submission version that carried it; indexed by project for the
  project page.
- ``event_rows``: the month's events (documents, meetings, campaigns with counts, honours,
  proposals, petitions, inspections), keyed the same way.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "project_rows",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("project", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("month_investment", sa.Float(), nullable=True),
        sa.Column("year_investment", sa.Float(), nullable=True),
        sa.Column("total_investment", sa.Float(), nullable=True),
        sa.Column("progress", sa.Text(), nullable=True),
        sa.Column("status", sa.String(20), nullable=True),
        sa.Column("cause", sa.String(20), nullable=True),
        sa.Column("cause_text", sa.Text(), nullable=True),
        sa.Column("milestones", sa.Text(), nullable=True),
        sa.Column("land_acres", sa.Float(), nullable=True),
        sa.Column("land_households", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"],
                                name=op.f("fk_project_rows_submission_id_submissions")),
        sa.PrimaryKeyConstraint("submission_id", "seq", name=op.f("pk_project_rows")),
        sa.CheckConstraint("kind IN ('progress', 'land')", name=op.f("ck_project_rows_kind")),
    )
    op.create_index("ix_project_rows_project", "project_rows", ["project"])
    op.create_table(
        "event_rows",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("date", sa.String(10), nullable=True),
        sa.Column("end_date", sa.String(10), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("number", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("subkind", sa.String(20), nullable=True),
        sa.Column("counts", sa.Text(), nullable=True),
        sa.Column("of_which", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"],
                                name=op.f("fk_event_rows_submission_id_submissions")),
        sa.PrimaryKeyConstraint("submission_id", "seq", name=op.f("pk_event_rows")),
    )


def downgrade() -> None:
    op.drop_table("event_rows")
    op.drop_index("ix_project_rows_project", table_name="project_rows")
    op.drop_table("project_rows")
