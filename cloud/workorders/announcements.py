"""What the alert channels announce when a work order opens, escalates or ends (pure)."""

from __future__ import annotations

from datetime import datetime

from cloud.alerts.message import Alert, Group
from cloud.tables import EscalationRow, WorkOrderRow
from cloud.workorders.sla import Level


def escalation_group(order: WorkOrderRow, esc: EscalationRow) -> Group:
    """One escalation as an alert group keyed by the work order."""
    who = "the team lead" if esc.level == Level.TEAM_LEAD else "the supervisor"
    alert = Alert(
        labels={
            "alertname": "WorkOrderEscalated",
            "work_order": str(order.id),
            "level": str(esc.level),
            "team": order.team_id or "",
            "asset": order.asset_id,
            "priority": order.priority,
        },
        annotations={
            "summary": f"Work order {order.id} ({order.title}) unanswered: escalated to {who}",
            "description": f"Notified: {esc.notified or 'nobody on record'}",
        },
        starts_at=esc.at,
    )
    return Group("maintenance", {"work_order": str(order.id), "level": str(esc.level)}, [alert])


def order_group(order: WorkOrderRow, resolved_at: datetime | None = None) -> Group:
    """A work order as an alert: firing when opened, resolved when it is done or cancelled."""
    who = order.assignee or "nobody on duty yet"
    alert = Alert(
        labels={
            "alertname": "WorkOrderOpened",
            "work_order": str(order.id),
            "team": order.team_id or "",
            "asset": order.asset_id,
            "priority": order.priority,
            "source": order.source,
        },
        annotations={
            "summary": f"Work order {order.id}: {order.title}",
            "description": (
                f"{order.priority} ({order.policy}), team {order.team_id or 'unrouted'}, "
                f"assigned to {who}; acknowledge by {order.acknowledge_by:%Y-%m-%d %H:%M} UTC"
            ),
        },
        starts_at=order.reported_at,
        status="resolved" if resolved_at is not None else "firing",
        ends_at=resolved_at,
    )
    return Group("maintenance", {"work_order": str(order.id)}, [alert])
