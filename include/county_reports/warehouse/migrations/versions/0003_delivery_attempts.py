"""Delivery attempts recorded before sending: the idempotency key and what exactly was sent.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

- ``idempotency_key``: the key the attempt sends under; a retry after a crash resumes with it.
- ``manifest_sha256``: the archived manifest (file names and SHA-256s, metadata) of the files
  sent, so a retry sends the very same bytes even if the report was rendered again since.
Rows now start as ``sending`` and end as ``delivered``, ``failed`` (certainly not stored) or
``unconfirmed`` (the office may hold it: the answer was lost).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.Text(), nullable=True))
        batch.add_column(sa.Column("manifest_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("manifest_sha256")
        batch.drop_column("idempotency_key")
