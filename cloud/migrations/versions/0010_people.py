"""people: users, team memberships, web sessions, sign-in failures, action links, photos

Everyone today's work orders, roster and teams name becomes a user (no password, so they
cannot sign in until one is set), so history stays readable and links to a person.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 02:00:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAMED = (
    ("shifts", "technician", "technician"),
    ("work_orders", "assignee", "technician"),
    ("teams", "lead", "technician"),
    ("teams", "supervisor", "supervisor"),
)


def upgrade() -> None:
    users = op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(100), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("roles", sa.String(200), nullable=False),
        sa.Column("sites", sa.String(500), nullable=False),
        sa.Column("page_webhook", sa.String(500), nullable=False, server_default=""),
        sa.Column("page_topic", sa.String(200), nullable=False, server_default=""),
        sa.Column("password_hash", sa.String(500), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "team_members",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("team_id", sa.String(64), sa.ForeignKey("teams.id"), primary_key=True),
    )
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(100), nullable=False, index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    op.create_table(
        "action_links",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("order_id", sa.Integer, sa.ForeignKey("work_orders.id"), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "order_id", sa.Integer, sa.ForeignKey("work_orders.id"), nullable=False, index=True
        ),
        sa.Column("by", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("stored_as", sa.String(64), nullable=False),
    )
    conn = op.get_bind()
    roles: dict[str, str] = {}
    for table, column, role in _NAMED:
        for (name,) in conn.execute(sa.text(f"SELECT DISTINCT {column} FROM {table}")):
            if name and name not in roles:
                roles[name] = role
    now = datetime.now(UTC)
    op.bulk_insert(
        users,
        [
            {
                "username": name,
                "name": name,
                "email": "",
                "phone": "",
                "language": "en",
                "timezone": "UTC",
                "roles": role,
                "sites": "",
                "password_hash": None,
                "active": True,
                "created_at": now,
            }
            for name, role in sorted(roles.items())
        ],
    )


def downgrade() -> None:
    for table in (
        "attachments",
        "action_links",
        "sign_in_failures",
        "web_sessions",
        "team_members",
        "users",
    ):
        op.drop_table(table)
