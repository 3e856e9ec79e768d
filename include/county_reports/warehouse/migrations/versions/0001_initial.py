"""Initial warehouse tables: roster, versioned submissions with values, narratives and issues,
collection status, feedback, audit and deliveries.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Written from an autogenerate run against ``warehouse.schema`` and then made self-contained:
this file must keep describing the schema as it was at this revision, whatever schema.py
becomes later. Timestamps are ``timestamptz`` on PostgreSQL; UTC wall time on SQLite.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create every warehouse table."""
    op.create_table('audit',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', TIMESTAMP, nullable=False),
    sa.Column('run_id', sa.String(length=250), nullable=True),
    sa.Column('entity', sa.String(length=20), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=True),
    sa.Column('period', sa.String(length=7), nullable=True),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('from_status', sa.String(length=32), nullable=True),
    sa.Column('to_status', sa.String(length=32), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit'))
    )
    op.create_table('collection_status',
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('last_checked_at', TIMESTAMP, nullable=False),
    sa.Column('last_run', sa.String(length=250), nullable=True),
    sa.CheckConstraint("status IN ('missing', 'failed')", name=op.f('ck_collection_status_status')),
    sa.PrimaryKeyConstraint('unit', 'period', name=op.f('pk_collection_status'))
    )
    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('document_kind', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('document_sha256', sa.String(length=64), nullable=True),
    sa.Column('filename', sa.Text(), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=True),
    sa.Column('receipt_id', sa.Text(), nullable=True),
    sa.Column('delivered_at', TIMESTAMP, nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries'))
    )
    op.create_table('submissions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('raw_path', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('received_at', TIMESTAMP, nullable=False),
    sa.Column('submitted_at', TIMESTAMP, nullable=True),
    sa.Column('arrived_at', TIMESTAMP, nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('superseded_by', sa.Integer(), nullable=True),
    sa.Column('last_seen_at', TIMESTAMP, nullable=False),
    sa.Column('last_seen_run', sa.String(length=250), nullable=True),
    sa.CheckConstraint("status IN ('accepted', 'accepted_with_warnings', 'rejected')",
                       name=op.f('ck_submissions_status')),
    sa.ForeignKeyConstraint(['superseded_by'], ['submissions.id'],
                            name=op.f('fk_submissions_superseded_by_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submissions')),
    sa.UniqueConstraint('unit', 'period', 'content_hash', name=op.f('uq_submissions_unit_period_content_hash')),
    sa.UniqueConstraint('unit', 'period', 'version', name=op.f('uq_submissions_unit_period_version'))
    )
    op.create_table('units',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('kind_name', sa.String(length=200), nullable=False),
    sa.Column('deadline_day', sa.Integer(), nullable=False),
    sa.Column('active_from', sa.String(length=7), nullable=False),
    sa.Column('active_to', sa.String(length=7), nullable=True),
    sa.Column('updated_at', TIMESTAMP, nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_units'))
    )
    op.create_table('feedback',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('sent_at', TIMESTAMP, nullable=False),
    sa.Column('delivered', sa.Boolean(), nullable=False),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('messages', sa.Text(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('run_id', sa.String(length=250), nullable=True),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_feedback_submission_id_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback'))
    )
    op.create_table('narratives',
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('section', sa.String(length=60), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'],
                            name=op.f('fk_narratives_submission_id_submissions')),
    sa.PrimaryKeyConstraint('submission_id', 'seq', name=op.f('pk_narratives'))
    )
    op.create_table('submission_values',
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('raw_value', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'],
                            name=op.f('fk_submission_values_submission_id_submissions')),
    sa.PrimaryKeyConstraint('submission_id', 'indicator', name=op.f('pk_submission_values'))
    )
    op.create_table('validation_issues',
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=40), nullable=True),
    sa.Column('value', sa.Text(), nullable=True),
    sa.Column('rule', sa.String(length=60), nullable=False),
    sa.Column('importance', sa.String(length=10), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'],
                            name=op.f('fk_validation_issues_submission_id_submissions')),
    sa.PrimaryKeyConstraint('submission_id', 'seq', name=op.f('pk_validation_issues'))
    )


def downgrade() -> None:
    """Drop every warehouse table (children first)."""
    op.drop_table('validation_issues')
    op.drop_table('submission_values')
    op.drop_table('narratives')
    op.drop_table('feedback')
    op.drop_table('units')
    op.drop_table('submissions')
    op.drop_table('deliveries')
    op.drop_table('collection_status')
    op.drop_table('audit')
