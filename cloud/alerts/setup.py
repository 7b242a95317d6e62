"""Channels from settings, and the alert an escalation raises."""

from __future__ import annotations

from datetime import datetime

from cloud.alerts.channels import Channel, Email, MqttTopic, Webhook
from cloud.alerts.message import Alert, Group
from cloud.settings import Settings
from cloud.tables import EscalationRow, WorkOrderRow
from cloud.workorders.sla import Level


def channels_from(settings: Settings) -> list[Channel]:
    """The channels the settings name (none configured: alerts are only logged)."""
    out: list[Channel] = []
    if settings.alert_webhook_url:
        out.append(Webhook("webhook", settings.alert_webhook_url))
    to = [a.strip() for a in settings.alert_email_to.split(",") if a.strip()]
    if settings.alert_smtp_host and to:
        out.append(
            Email(
                "email",
                settings.alert_smtp_host,
                settings.alert_smtp_port,
                settings.alert_email_from,
                to,
            )
        )
    if settings.alert_mqtt_host:
        out.append(
            MqttTopic(
                "mqtt",
                settings.alert_mqtt_host,
                settings.alert_mqtt_port,
                settings.alert_mqtt_topic,
            )
        )
    return out


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
