"""Work orders in the database: report (routed, with due times), act. Plain functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.errors import Invalid, NotFound
from cloud.register.classes import default_team
from cloud.tables import (
    Asset,
    RiskStateRow,
    RouteRow,
    ShiftRow,
    Team,
    WarningRow,
    WorkOrderRow,
    WorkOrderStep,
)
from cloud.workorders import lifecycle as lc
from cloud.workorders.codes import check_code
from cloud.workorders.routing import NoRoute, Route, Shift, on_duty, pick, team_for
from cloud.workorders.sla import (
    POLICIES,
    Priority,
    due_times,
)

ROUTER = "router"  # who dispatches automatically
OPEN = [s.value for s in lc.State if s not in (lc.State.CLOSED, lc.State.CANCELLED)]


@dataclass(frozen=True)
class PmMark:
    """The rule and due date (or counter reading) a preventive order is opened for."""

    rule: str
    due_at: datetime | None
    counter: float | None


@dataclass(frozen=True)
class Report:
    """What is needed to open a work order."""

    asset_id: str
    source: str  # warning | alarm | manual | preventive
    fault: str
    title: str
    priority: Priority
    pm: PmMark | None = None


def aware(t: datetime) -> datetime:
    """The stored time as UTC (SQLite hands back naive datetimes; everything stored is UTC)."""
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def as_order(row: WorkOrderRow) -> lc.Order:
    """The lifecycle value of a stored order."""
    code = (
        lc.FailureCode(row.problem, row.cause or "", row.remedy or "")
        if row.problem is not None
        else None
    )
    history = tuple(
        lc.Step(
            aware(s.at), s.by, lc.Action(s.action), lc.State(s.before), lc.State(s.after), s.note
        )
        for s in row.steps
        if s.action in lc.Action.__members__.values()
    )
    return lc.Order(
        state=lc.State(row.state),
        assignee=row.assignee,
        hold_reason=row.hold_reason,
        failure_code=code,
        outcome=lc.Outcome(row.outcome) if row.outcome else None,
        rating=row.rating,
        history=history,
    )


def write_step(row: WorkOrderRow, order: lc.Order) -> None:
    """Copy the lifecycle fields back and append the step just taken."""
    row.state = order.state.value
    row.assignee = order.assignee
    row.hold_reason = order.hold_reason
    if order.failure_code is not None:
        row.problem = order.failure_code.problem
        row.cause = order.failure_code.cause
        row.remedy = order.failure_code.remedy
    row.outcome = order.outcome.value if order.outcome else None
    row.rating = order.rating
    step = order.history[-1]
    row.steps.append(
        WorkOrderStep(
            at=step.at,
            by=step.by,
            action=step.action.value,
            before=step.before.value,
            after=step.after.value,
            note=step.note,
        )
    )


def open_counts(session: Session) -> dict[str, int]:
    """Open orders per assignee."""
    rows = session.execute(
        select(WorkOrderRow.assignee, func.count())
        .where(WorkOrderRow.state.in_(OPEN), WorkOrderRow.assignee.is_not(None))
        .group_by(WorkOrderRow.assignee)
    )
    return {str(a): int(n) for a, n in rows}


def route(
    session: Session, asset_class: str, fault: str, now: datetime
) -> tuple[str | None, str | None]:
    """The team for this asset class and fault, and its least-loaded technician on duty."""
    routes = [
        Route(r.asset_class, r.fault, r.team_id)
        for r in session.scalars(select(RouteRow).order_by(RouteRow.position, RouteRow.id))
    ]
    try:
        team: str | None = team_for(routes, asset_class, fault)
    except NoRoute:
        team = default_team(session, asset_class)
    if team is None:
        return None, None
    roster = [
        Shift(s.technician, s.team_id, aware(s.starts_at), aware(s.ends_at))
        for s in session.scalars(select(ShiftRow).where(ShiftRow.team_id == team))
    ]
    return team, pick(on_duty(roster, team, now), open_counts(session))


def report(session: Session, rep: Report, by: str, now: datetime) -> WorkOrderRow:
    """Open a work order: due times from its priority, routed and dispatched when possible."""
    asset = session.get(Asset, rep.asset_id)
    if asset is None:
        raise NotFound(f"no asset {rep.asset_id}", "unknown_asset")
    policy = POLICIES[rep.priority]
    due = due_times(now, policy)
    team, technician = route(session, asset.asset_class, rep.fault, now)
    row = WorkOrderRow(
        asset_id=asset.id,
        source=rep.source,
        fault=rep.fault,
        title=rep.title,
        priority=rep.priority.value,
        policy=policy.name,
        team_id=team,
        state=lc.State.REPORTED.value,
        reported_at=now,
        reported_by=by,
        dispatch_by=due.dispatch_by,
        acknowledge_by=due.acknowledge_by,
        on_site_by=due.on_site_by,
    )
    if rep.pm is not None:
        row.pm_rule, row.pm_due_at, row.pm_counter = rep.pm.rule, rep.pm.due_at, rep.pm.counter
    row.steps.append(
        WorkOrderStep(at=now, by=by, action="report", before="", after="reported", note=rep.title)
    )
    if technician is not None:
        order = lc.apply(as_order(row), lc.Action.DISPATCH, now, ROUTER, assignee=technician)
        write_step(row, order)
    session.add(row)
    session.commit()
    return row


def list_orders(
    session: Session,
    state: str | None = None,
    team: str | None = None,
    asset: str | None = None,
    limit: int = 100,
) -> list[WorkOrderRow]:
    """Orders, newest first, filtered by state, team or asset."""
    q = select(WorkOrderRow).order_by(WorkOrderRow.id.desc()).limit(limit)
    if state is not None:
        q = q.where(WorkOrderRow.state == state)
    if team is not None:
        q = q.where(WorkOrderRow.team_id == team)
    if asset is not None:
        q = q.where(WorkOrderRow.asset_id == asset)
    return list(session.scalars(q))


def get(session: Session, order_id: int, lock: bool = False) -> WorkOrderRow:
    """One order (locked for update when about to change it)."""
    stmt = select(WorkOrderRow).where(WorkOrderRow.id == order_id)
    row = session.scalars(stmt.with_for_update() if lock else stmt).first()
    if row is None:
        raise NotFound(f"no work order {order_id}", "unknown_work_order")
    return row


def act(
    session: Session,
    order_id: int,
    action: lc.Action,
    by: str,
    now: datetime,
    labour_h: float | None = None,
    parts: str | None = None,
    parts_cost: float | None = None,
    **details: object,
) -> WorkOrderRow:
    """Apply one action; an illegal one raises IllegalTransition and changes nothing. A
    completion may record the labour hours, the parts used and their cost."""
    row = get(session, order_id, lock=True)
    if labour_h is not None and not 0 <= labour_h <= 10_000:
        raise Invalid(f"labour hours {labour_h}: from 0 to 10,000", "bad_labour")
    if parts_cost is not None and not 0 <= parts_cost <= 1e9:
        raise Invalid(f"parts cost {parts_cost}: from 0 to 1e9", "bad_parts_cost")
    code = details.get("failure_code")
    if action is lc.Action.COMPLETE and isinstance(code, lc.FailureCode):
        asset = session.get(Asset, row.asset_id)
        check_code(asset.asset_class if asset else "", code.problem, code.cause, code.remedy)
    order = lc.apply(as_order(row), action, now, by, **details)  # type: ignore[arg-type]
    write_step(row, order)
    if action is lc.Action.COMPLETE:
        row.labour_h, row.parts, row.parts_cost = labour_h, parts, parts_cost
    if action is lc.Action.RATE and (order.rating or 0) <= lc.FOLLOW_UP_AT:
        session.add(follow_up(session, row, order.rating or 0, now))
    if order.state in (lc.State.COMPLETED, lc.State.CANCELLED):
        outcome = order.outcome.value if order.outcome else None
        _close_warnings(session, row.id, order.state.value, now, outcome)
    if order.state is lc.State.COMPLETED and row.source != "warning":
        hold_incident(session, row.asset_id, held=False)  # work on it restarts what is normal
    session.commit()
    return row


def follow_up(session: Session, row: WorkOrderRow, rating: int, now: datetime) -> WorkOrderRow:
    """A follow-up of a badly rated repair, for the team lead (or routed like any order)."""
    team = session.get(Team, row.team_id) if row.team_id else None
    policy = POLICIES[Priority.HIGH]
    due = due_times(now, policy)
    title = f"Follow-up of order {row.id}: the requester rated the repair {rating}/5"
    out = WorkOrderRow(
        asset_id=row.asset_id,
        source="follow_up",
        fault=row.fault,
        title=title[:200],
        priority=Priority.HIGH.value,
        policy=policy.name,
        team_id=row.team_id,
        state=lc.State.REPORTED.value,
        reported_at=now,
        reported_by=row.reported_by,
        dispatch_by=due.dispatch_by,
        acknowledge_by=due.acknowledge_by,
        on_site_by=due.on_site_by,
    )
    out.steps.append(
        WorkOrderStep(at=now, by=ROUTER, action="report", before="", after="reported", note=title)
    )
    if team is not None and team.lead:
        write_step(
            out, lc.apply(as_order(out), lc.Action.DISPATCH, now, ROUTER, assignee=team.lead)
        )
    return out


def comment(session: Session, order_id: int, text: str, by: str, now: datetime) -> WorkOrderRow:
    """Append a note to the order's history without changing its state."""
    row = get(session, order_id, lock=True)
    row.steps.append(
        WorkOrderStep(at=now, by=by, action="comment", before=row.state, after=row.state, note=text)
    )
    session.commit()
    return row


def _close_warnings(
    session: Session, order_id: int, reason: str, now: datetime, outcome: str | None = None
) -> None:
    """A warning ends with its work order (completed or cancelled), labelled with what the
    technician found."""
    for w in session.scalars(
        select(WarningRow).where(WarningRow.work_order_id == order_id, WarningRow.state == "open")
    ):
        w.state, w.closed_at, w.close_reason = "closed", now, reason
        if outcome is not None and outcome != lc.Outcome.NOT_PREDICTIVE.value:
            w.verdict = outcome
        if outcome != lc.Outcome.CONFIRMED.value:  # a repair restarts what is normal
            hold_incident(session, w.asset_id)


def hold_incident(session: Session, asset_id: str, held: bool = True) -> None:
    """A person ended the asset's warning while its risk may still be high: no new warning
    opens for the incident until the risk has been low long enough to close one, as the
    warning rule counts one warning per incident (a page an hour after a dismissal would
    send someone back for what they just ruled out). ``held=False``: maintenance or a repair
    on the asset, after which a risk still high is a new incident."""
    state = session.get(RiskStateRow, asset_id)
    if state is not None:
        state.held = held
