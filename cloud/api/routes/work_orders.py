"""Work orders: report, act on, read; teams, routing and rosters (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.alerts.setup import order_group
from cloud.api.deps import AdminDep, ClockDep, NotifierDep, SessionDep, TechnicianDep, ViewerDep
from cloud.ingest import Rejected
from cloud.schemas import (
    CommentCreate,
    FailureCodes,
    PmRuleBody,
    RouteCreate,
    ShiftCreate,
    TeamCreate,
    WorkOrderAction,
    WorkOrderCreate,
    WorkOrderPublic,
)
from cloud.security import Role
from cloud.tables import RouteRow, ShiftRow, Team, WorkOrderRow
from cloud.workorders import lifecycle as lc
from cloud.workorders import order_records as orders
from cloud.workorders.codes import ACTIVITIES, MECHANISMS, MODES, MODES_BY_CLASS, UnknownCode
from cloud.workorders.sources import PmRule, pm_rules, set_pm_rules
from kernel.contract import AssetClass

router = APIRouter(prefix="/api/v1", tags=["work orders"])
# Dispatching and cancelling are the dispatcher's; the rest any technician may do.
DISPATCHER_ACTIONS = {lc.Action.DISPATCH, lc.Action.CANCEL}
OrderId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Work order number")]


@router.post("/work-orders", response_model=WorkOrderPublic, status_code=201)
def report(
    body: WorkOrderCreate,
    key: TechnicianDep,
    session: SessionDep,
    notifier: NotifierDep,
    clock: ClockDep,
    background: BackgroundTasks,
) -> WorkOrderRow:
    """Report a fault by hand: routed to a team, dispatched when someone is on duty, and
    announced on the alert channels."""
    rep = orders.Report(body.asset_id, "manual", body.fault, body.title, body.priority)
    try:
        row = orders.report(session, rep, key.name, clock.now())
    except orders.NotFound as exc:
        raise Rejected(404, "unknown_asset", str(exc)) from exc
    background.add_task(notifier.notify, order_group(row))
    return row


@router.get("/work-orders", response_model=list[WorkOrderPublic])
def list_orders(
    _: ViewerDep,
    session: SessionDep,
    state: Annotated[lc.State | None, Query()] = None,
    team: Annotated[str | None, Query(max_length=64)] = None,
    asset: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[WorkOrderRow]:
    """Orders, newest first, filtered by state, team or asset."""
    q = select(WorkOrderRow).order_by(WorkOrderRow.id.desc()).limit(limit)
    if state is not None:
        q = q.where(WorkOrderRow.state == state.value)
    if team is not None:
        q = q.where(WorkOrderRow.team_id == team)
    if asset is not None:
        q = q.where(WorkOrderRow.asset_id == asset)
    return list(session.scalars(q))


@router.get("/work-orders/{order_id}", response_model=WorkOrderPublic)
def get_order(order_id: OrderId, _: ViewerDep, session: SessionDep) -> WorkOrderRow:
    """One order with its history."""
    try:
        return orders.get(session, order_id)
    except orders.NotFound as exc:
        raise Rejected(404, "unknown_work_order", str(exc)) from exc


@router.post("/work-orders/{order_id}/actions", response_model=WorkOrderPublic)
def act(
    order_id: OrderId,
    body: WorkOrderAction,
    key: TechnicianDep,
    session: SessionDep,
    notifier: NotifierDep,
    clock: ClockDep,
    background: BackgroundTasks,
) -> WorkOrderRow:
    """Move an order on: dispatch, acknowledge, arrive, start, hold, resume, complete, rate,
    cancel. An illegal step is refused with 409 and what is allowed."""
    if body.action in DISPATCHER_ACTIONS and not Role(key.role).allows(Role.DISPATCHER):
        raise Rejected(403, "forbidden", f"{body.action} needs the dispatcher role")
    code = (
        lc.FailureCode(body.problem, body.cause or "", body.remedy or "")
        if body.problem is not None
        else None
    )
    try:
        row = orders.act(
            session,
            order_id,
            body.action,
            key.name,
            clock.now(),
            assignee=body.assignee,
            reason=body.reason,
            failure_code=code,
            outcome=body.outcome,
            rating=body.rating,
        )
    except orders.NotFound as exc:
        raise Rejected(404, "unknown_work_order", str(exc)) from exc
    except lc.IllegalTransition as exc:
        session.rollback()
        raise Rejected(409, "illegal_transition", str(exc)) from exc
    except UnknownCode as exc:
        session.rollback()
        raise Rejected(422, "unknown_code", str(exc)) from exc
    if row.state in (lc.State.COMPLETED.value, lc.State.CANCELLED.value):
        background.add_task(notifier.notify, order_group(row, row.steps[-1].at))
    return row


@router.post("/work-orders/{order_id}/comments", response_model=WorkOrderPublic, status_code=201)
def comment(
    order_id: OrderId, body: CommentCreate, key: TechnicianDep, session: SessionDep, clock: ClockDep
) -> WorkOrderRow:
    """Add a note to an order's history (its state does not change)."""
    try:
        return orders.comment(session, order_id, body.text, key.name, clock.now())
    except orders.NotFound as exc:
        raise Rejected(404, "unknown_work_order", str(exc)) from exc


@router.get("/failure-codes", response_model=FailureCodes)
def failure_codes(
    _: ViewerDep, asset_class: Annotated[AssetClass | None, Query()] = None
) -> FailureCodes:
    """The codes completion accepts: failure modes (per class), mechanisms, activities."""
    modes = MODES_BY_CLASS[asset_class.value] if asset_class is not None else list(MODES)
    return FailureCodes(
        problems={m: MODES[m] for m in modes}, causes=MECHANISMS, remedies=ACTIVITIES
    )


def _known_team(session: Session, team_id: str) -> None:
    if session.get(Team, team_id) is None:
        raise Rejected(422, "unknown_team", f"no team {team_id}")


@router.put("/teams/{team_id}", response_model=TeamCreate)
def put_team(
    team_id: Annotated[str, Path(min_length=1, max_length=64)],
    body: TeamCreate,
    _: AdminDep,
    session: SessionDep,
) -> TeamCreate:
    """Create or change a team (who leads it, who supervises)."""
    team = session.get(Team, team_id) or Team(id=team_id)
    team.name, team.lead, team.supervisor = body.name, body.lead, body.supervisor
    session.add(team)
    session.commit()
    return body


@router.put("/routes", response_model=list[RouteCreate])
def put_routes(body: list[RouteCreate], _: AdminDep, session: SessionDep) -> list[RouteCreate]:
    """Replace the routing table (first matching row wins; ``*`` matches anything)."""
    for r in body:
        _known_team(session, r.team)
    for old in session.scalars(select(RouteRow)):
        session.delete(old)
    for i, r in enumerate(body):
        session.add(RouteRow(position=i, asset_class=r.asset_class, fault=r.fault, team_id=r.team))
    session.commit()
    return body


@router.post("/shifts", response_model=ShiftCreate, status_code=201)
def add_shift(body: ShiftCreate, _: AdminDep, session: SessionDep) -> ShiftCreate:
    """Put a technician on duty for a team."""
    _known_team(session, body.team)
    if body.ends_at <= body.starts_at:
        raise Rejected(422, "empty_shift", "a shift must end after it starts")
    session.add(
        ShiftRow(
            technician=body.technician,
            team_id=body.team,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
        )
    )
    session.commit()
    return body


@router.get("/pm-rules", response_model=list[PmRuleBody])
def get_pm_rules(_: ViewerDep, session: SessionDep) -> list[PmRule]:
    """The preventive-maintenance plan (first matching rule applies)."""
    return list(pm_rules(session))


@router.put("/pm-rules", response_model=list[PmRuleBody])
def put_pm_rules(
    body: list[PmRuleBody], _: AdminDep, session: SessionDep, clock: ClockDep
) -> list[PmRuleBody]:
    """Replace the preventive-maintenance plan; the checker opens orders as they fall due,
    each asset's first one interval from now."""
    rules = [PmRule(r.asset_class.value, r.every_days, r.min_age_years, r.title) for r in body]
    set_pm_rules(session, rules, clock.now())
    return body
