"""the technician's verdict on a warning (confirmed, false_alarm, nothing_found); an
order's labour hours and parts

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 02:35:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("warnings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verdict", sa.String(16), nullable=True))
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("labour_h", sa.Float, nullable=True))
        batch_op.add_column(sa.Column("parts", sa.String(500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.drop_column("parts")
        batch_op.drop_column("labour_h")
    with op.batch_alter_table("warnings", schema=None) as batch_op:
        batch_op.drop_column("verdict")
