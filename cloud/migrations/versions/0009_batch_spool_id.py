"""the spool incarnation of an ingested batch, and its sequence-number index

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 01:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ingested_batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("spool_id", sa.String(32), nullable=True))
        batch_op.create_index(
            "ix_ingested_batches_spool_seq", ["gateway_id", "spool_id", "last_seq"]
        )


def downgrade() -> None:
    with op.batch_alter_table("ingested_batches", schema=None) as batch_op:
        batch_op.drop_index("ix_ingested_batches_spool_seq")
        batch_op.drop_column("spool_id")
