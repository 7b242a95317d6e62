"""oldest reading of an ingested batch

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 20:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ingested_batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("oldest_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ingested_batches", schema=None) as batch_op:
        batch_op.drop_column("oldest_at")
