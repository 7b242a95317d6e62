"""asset classes as rows; the register's fields on assets (assets without a gateway);
an order's parts cost

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 04:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The facts view reads assets, which SQLite rebuilds to alter; it is dropped and made again
# (now with the order's labour and parts cost, for lifecycle panels).
_STEP = "(SELECT min(s.at) FROM work_order_steps s WHERE s.order_id = o.id AND s.action = '{}')"
_FACTS = """
CREATE VIEW work_order_facts AS
SELECT o.id, o.asset_id, a.site, a.asset_class, o.team_id, o.assignee, o.priority, o.policy,
       o.source, o.title,
       o.state, o.outcome, o.reported_at, o.dispatch_by, o.acknowledge_by, o.on_site_by,
       {dispatch} AS dispatched_at,
       {ack} AS acknowledged_at,
       {arrive} AS on_site_at,
       {complete} AS completed_at,
       (SELECT count(*) FROM escalations e WHERE e.order_id = o.id) AS escalations{extra}
FROM work_orders o JOIN assets a ON a.id = o.asset_id
"""


def _facts(extra: str) -> str:
    return _FACTS.format(
        dispatch=_STEP.format("dispatch"),
        ack=_STEP.format("acknowledge"),
        arrive=_STEP.format("arrive"),
        complete=_STEP.format("complete"),
        extra=extra,
    )


def upgrade() -> None:
    op.execute("DROP VIEW work_order_facts")
    op.create_table(
        "asset_classes",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("name_en", sa.String(80), nullable=False),
        sa.Column("name_zh", sa.String(80), nullable=False),
        sa.Column("default_team", sa.String(64), nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("source", sa.String(500), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.alter_column("gateway_id", existing_type=sa.String(64), nullable=True)
        batch_op.add_column(sa.Column("make", sa.String(100), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("serial_number", sa.String(100), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("purchase_value", sa.Float, nullable=True))
        batch_op.add_column(sa.Column("currency", sa.String(3), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("warranty_end", sa.Date, nullable=True))
        batch_op.add_column(
            sa.Column("criticality", sa.String(8), nullable=False, server_default="medium")
        )
        batch_op.add_column(sa.Column("label_code", sa.String(64), nullable=True))
        batch_op.add_column(
            sa.Column("registered_by", sa.String(16), nullable=False, server_default="manifest")
        )
        batch_op.create_index("ix_assets_label_code", ["label_code"], unique=True)
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parts_cost", sa.Float, nullable=True))
    op.execute(_facts(",\n       o.labour_h, o.parts_cost"))


def downgrade() -> None:
    op.execute("DROP VIEW work_order_facts")
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.drop_column("parts_cost")
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_index("ix_assets_label_code")
        for col in (
            "registered_by",
            "label_code",
            "criticality",
            "warranty_end",
            "currency",
            "purchase_value",
            "serial_number",
            "make",
        ):
            batch_op.drop_column(col)
        batch_op.alter_column("gateway_id", existing_type=sa.String(64), nullable=False)
    op.drop_table("asset_classes")
    op.execute(_facts(""))
