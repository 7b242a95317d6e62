"""a warning's hours to failure may be unknown

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 10:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("ttf_p10_h", "ttf_p50_h", "ttf_p90_h")


def upgrade() -> None:
    with op.batch_alter_table("warnings", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.alter_column(name, existing_type=sa.Float(), nullable=True)
    if op.get_bind().dialect.name == "postgresql":  # it stored NaN where SQLite refused
        for name in COLUMNS:
            op.execute(f"UPDATE warnings SET {name} = NULL WHERE {name} = 'NaN'::float8")


def downgrade() -> None:
    # PostgreSQL holds NaN as before; on SQLite a warning with unknown hours stops the
    # downgrade (the old schema cannot hold it), with the database's own error.
    if op.get_bind().dialect.name == "postgresql":
        for name in COLUMNS:
            op.execute(f"UPDATE warnings SET {name} = 'NaN'::float8 WHERE {name} IS NULL")
    with op.batch_alter_table("warnings", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.alter_column(name, existing_type=sa.Float(), nullable=False)
