"""a person's own Apprise URL for pages

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 10:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add users.page_apprise."""
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("page_apprise", sa.String(500), nullable=False, server_default="")
        )


def downgrade() -> None:
    """Drop users.page_apprise."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("page_apprise")
