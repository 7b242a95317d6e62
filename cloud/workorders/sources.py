"""Work orders from local alarms."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cloud.tables import AlarmEventRow, Asset, WorkOrderRow
from cloud.workorders import order_records as orders
from cloud.workorders.sla import Priority

GATEWAY = "gateway-alarm"
ALARM_PRIORITY = {"critical": Priority.URGENT, "warning": Priority.HIGH}  # info: no order


def alarm_report(a: AlarmEventRow) -> orders.Report | None:
    """The order a raised alarm asks for (an informational or cleared one asks for none)."""
    priority = ALARM_PRIORITY.get(a.severity)
    if a.state != "raised" or priority is None:
        return None
    title = f"Alarm {a.rule} on {a.asset_id}: {a.message}"[:200]
    return orders.Report(a.asset_id, "alarm", a.rule, title, priority)


def _open_order(session: Session, asset_id: str, source: str, fault: str) -> WorkOrderRow | None:
    # Writing the asset's row first holds it (PostgreSQL's row lock, SQLite's write lock)
    # until the caller commits: two requests about one asset look and open one after the
    # other, so they cannot both find no order and both open one.
    session.execute(update(Asset).where(Asset.id == asset_id).values(retired=Asset.retired))
    return session.scalars(
        select(WorkOrderRow).where(
            WorkOrderRow.asset_id == asset_id,
            WorkOrderRow.source == source,
            WorkOrderRow.fault == fault,
            WorkOrderRow.state.in_(orders.OPEN),
        )
    ).first()


def orders_for_alarms(
    session: Session, alarms: list[AlarmEventRow], now: datetime
) -> list[WorkOrderRow]:
    """Open an order per raised alarm, unless that asset's same alarm already has one open
    (a cleared alarm is noted on its open order)."""
    out = []
    for a in alarms:
        if a.asset_id == a.gateway_id:
            continue  # the gateway's alarm about itself: kept and shown, no asset to work on
        order = _order_for_alarm(session, a, now)
        session.commit()  # lets the asset go (see _open_order) when nothing was written
        if order is not None:
            out.append(order)
    return out


def _order_for_alarm(session: Session, a: AlarmEventRow, now: datetime) -> WorkOrderRow | None:
    existing = _open_order(session, a.asset_id, "alarm", a.rule)
    if a.state == "cleared" and existing is not None:
        orders.comment(
            session, existing.id, f"alarm cleared at {a.ts:%Y-%m-%d %H:%M}", GATEWAY, now
        )
        return None
    rep = alarm_report(a)
    if rep is None or existing is not None:
        return None
    return orders.report(session, rep, f"{GATEWAY}:{a.gateway_id}", now)
