"""Escalation: record each level an unanswered order reached, once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud.tables import EscalationRow, Team, WorkOrderRow
from cloud.workorders import lifecycle as lc
from cloud.workorders import order_records as orders
from cloud.workorders.sla import Due, Level, escalations_due, level_at


def escalate(session: Session, now: datetime) -> list[EscalationRow]:
    """Record every escalation level due by ``now`` that was not recorded yet (idempotent)."""
    out: list[EscalationRow] = []
    # No flush until the commit: a level another checker recorded meanwhile must surface
    # there, inside the try, not from a lazy load halfway through the loop.
    with session.no_autoflush:
        _record_due(session, now, out)
    try:
        session.commit()
    except IntegrityError:  # another checker recorded these levels first; it announces them
        session.rollback()
        return []
    return out


def _record_due(session: Session, now: datetime, out: list[EscalationRow]) -> None:
    waiting = session.scalars(
        select(WorkOrderRow).where(
            WorkOrderRow.state.in_([lc.State.REPORTED.value, lc.State.DISPATCHED.value])
        )
    )
    for row in list(waiting):
        due = Due(
            orders.aware(row.dispatch_by),
            orders.aware(row.acknowledge_by),
            orders.aware(row.on_site_by),
        )
        reached = level_at(orders.as_order(row), orders.aware(row.reported_at), due, now)
        sent = {Level(e.level) for e in row.escalations}
        team = session.get(Team, row.team_id) if row.team_id else None
        for level in escalations_due(reached, sent):
            who = (
                [row.assignee or "", team.lead if team else ""]
                if level is Level.TEAM_LEAD
                else [team.supervisor if team else ""]
            )
            esc = EscalationRow(level=int(level), at=now, notified=", ".join(w for w in who if w))
            row.escalations.append(esc)
            out.append(esc)
