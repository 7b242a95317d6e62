"""preventive maintenance on the calendar (cron) and on use, with conditions; each
preventive order remembers the rule and due date it was opened for (once per due date);
each asset's lifecycle figures, kept for dashboards

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 05:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The facts view reads assets, which SQLite rebuilds to alter; it is dropped and made again
# (it reads work_orders too).
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
    op.create_table(
        "asset_lifecycle",
        sa.Column("asset_id", sa.String(64), primary_key=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("asset_class", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("purchase_value", sa.Float, nullable=True),
        sa.Column("years_in_service", sa.Float, nullable=False),
        sa.Column("preventive", sa.Integer, nullable=False),
        sa.Column("corrective", sa.Integer, nullable=False),
        sa.Column("repair_cost", sa.Float, nullable=False),
        sa.Column("recent_repair_cost", sa.Float, nullable=False),
        sa.Column("maintenance_cost", sa.Float, nullable=False),
        sa.Column("downtime_h", sa.Float, nullable=False),
        sa.Column("availability", sa.Float, nullable=False),
        sa.Column("cost_per_year", sa.Float, nullable=True),
        sa.Column("replace", sa.Boolean, nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
    )
    op.execute("DROP VIEW work_order_facts")
    with op.batch_alter_table("pm_rules", schema=None) as batch_op:
        batch_op.alter_column("every_days", existing_type=sa.Float, nullable=True)
        batch_op.alter_column("asset_class", existing_type=sa.String(32), type_=sa.String(64))
        batch_op.add_column(sa.Column("cron", sa.String(100), nullable=True))
        batch_op.add_column(sa.Column("usage_signal", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("usage_every", sa.Float, nullable=True))
        batch_op.add_column(sa.Column("max_age_years", sa.Float, nullable=True))
        batch_op.add_column(
            sa.Column("criticality", sa.String(40), nullable=False, server_default="")
        )
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pm_rule", sa.String(300), nullable=True))
        batch_op.add_column(sa.Column("pm_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("pm_counter", sa.Float, nullable=True))
        batch_op.create_index(
            "ix_work_orders_pm_due_at", ["asset_id", "pm_rule", "pm_due_at"], unique=True
        )
        batch_op.create_index(
            "ix_work_orders_pm_counter", ["asset_id", "pm_rule", "pm_counter"], unique=True
        )
    op.execute(_facts(",\n       o.labour_h, o.parts_cost"))


def downgrade() -> None:
    op.drop_table("asset_lifecycle")
    op.execute("DROP VIEW work_order_facts")
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_work_orders_pm_counter")
        batch_op.drop_index("ix_work_orders_pm_due_at")
        batch_op.drop_column("pm_counter")
        batch_op.drop_column("pm_due_at")
        batch_op.drop_column("pm_rule")
    with op.batch_alter_table("pm_rules", schema=None) as batch_op:
        for col in ("criticality", "max_age_years", "usage_every", "usage_signal", "cron"):
            batch_op.drop_column(col)
        batch_op.alter_column("asset_class", existing_type=sa.String(64), type_=sa.String(32))
        batch_op.alter_column("every_days", existing_type=sa.Float, nullable=False)
    op.execute(_facts(",\n       o.labour_h, o.parts_cost"))
