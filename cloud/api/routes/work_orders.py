"""Work orders: report, act on, read; teams, routing and rosters (admin)."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, Query

from cloud.api.deps import AdminDep, ClockDep, NotifierDep, SessionDep, TechnicianDep, ViewerDep
from cloud.api.errors import AUTHENTICATED, Rejected, documented
from cloud.errors import Invalid
from cloud.register.classes import check_classes
from cloud.schemas import (
    CommentCreate,
    FailureCodes,
    PmRuleCreate,
    PmRulePublic,
    RouteCreate,
    ShiftCreate,
    TeamCreate,
    WorkOrderAction,
    WorkOrderCreate,
    WorkOrderPublic,
)
from cloud.security import Role
from cloud.tables import WorkOrderRow
from cloud.workorders import lifecycle as lc
from cloud.workorders import order_records as orders
from cloud.workorders import teams
from cloud.workorders.announcements import order_group
from cloud.workorders.codes import ACTIVITIES, MECHANISMS, MODES, modes_for
from cloud.workorders.pm_rules import PmRule
from cloud.workorders.preventive import set_plan, stored_plan
from cloud.workorders.step_notices import announce_step
from kernel.contract import Identifier

router = APIRouter(prefix="/api/v1", tags=["work orders"], responses=AUTHENTICATED)
# Dispatching and cancelling are the dispatcher's; the rest any technician may do.
DISPATCHER_ACTIONS = {lc.Action.DISPATCH, lc.Action.CANCEL}
NO_ORDER = documented({404: "No such work order"})
OrderId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Work order number")]


@router.post(
    "/work-orders",
    response_model=WorkOrderPublic,
    status_code=201,
    responses=documented({404: "No such asset"}),
)
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
    row = orders.report(session, rep, key.name, clock.now())
    background.add_task(notifier.notify, order_group(row))
    background.add_task(notifier.page, row.id)
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
    return orders.list_orders(session, state.value if state else None, team, asset, limit)


@router.get("/work-orders/{order_id}", response_model=WorkOrderPublic, responses=NO_ORDER)
def get_order(order_id: OrderId, _: ViewerDep, session: SessionDep) -> WorkOrderRow:
    """One order with its history."""
    return orders.get(session, order_id)


@router.post(
    "/work-orders/{order_id}/actions",
    response_model=WorkOrderPublic,
    responses=documented(
        {404: "No such work order", 409: "Not allowed in the order's state (what is, is listed)"}
    ),
)
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
        labour_h=body.labour_h,
        parts=body.parts,
        parts_cost=body.parts_cost,
    )
    announce_step(row, notifier, background)
    return row


@router.post(
    "/work-orders/{order_id}/comments",
    response_model=WorkOrderPublic,
    status_code=201,
    responses=NO_ORDER,
)
def comment(
    order_id: OrderId, body: CommentCreate, key: TechnicianDep, session: SessionDep, clock: ClockDep
) -> WorkOrderRow:
    """Add a note to an order's history (its state does not change)."""
    return orders.comment(session, order_id, body.text, key.name, clock.now())


@router.get("/failure-codes", response_model=FailureCodes)
def failure_codes(
    _: ViewerDep, asset_class: Annotated[Identifier | None, Query()] = None
) -> FailureCodes:
    """The codes completion accepts: failure modes (per class), mechanisms, activities."""
    modes = modes_for(asset_class)
    return FailureCodes(
        problems={m: MODES[m] for m in modes}, causes=MECHANISMS, remedies=ACTIVITIES
    )


@router.put("/teams/{team_id}", response_model=TeamCreate)
def put_team(
    team_id: Annotated[str, Path(min_length=1, max_length=64)],
    body: TeamCreate,
    _: AdminDep,
    session: SessionDep,
) -> TeamCreate:
    """Create or change a team (who leads it, who supervises)."""
    teams.put_team(session, team_id, body.name, body.lead, body.supervisor)
    return body


@router.put("/routes", response_model=list[RouteCreate])
def put_routes(body: list[RouteCreate], _: AdminDep, session: SessionDep) -> list[RouteCreate]:
    """Replace the routing table (first matching row wins; ``*`` matches anything)."""
    check_classes(session, {r.asset_class for r in body} - {"*"})
    teams.replace_routes(session, [(r.asset_class, r.fault, r.team) for r in body])
    return body


@router.post("/shifts", response_model=ShiftCreate, status_code=201)
def add_shift(body: ShiftCreate, _: AdminDep, session: SessionDep) -> ShiftCreate:
    """Put a technician on duty for a team."""
    teams.add_shift(session, body.technician, body.team, body.starts_at, body.ends_at)
    return body


@router.get("/pm-rules", response_model=list[PmRulePublic])
def get_pm_rules(_: ViewerDep, session: SessionDep) -> list[PmRulePublic]:
    """The preventive-maintenance plan: every rule applies to the assets it matches."""
    return _public(session)


@router.put("/pm-rules", response_model=list[PmRulePublic], responses=documented({422: "Bad rule"}))
def put_pm_rules(
    body: list[PmRuleCreate], _: AdminDep, session: SessionDep, clock: ClockDep
) -> list[PmRulePublic]:
    """Replace the preventive-maintenance plan; a rule already in it keeps its schedule, a
    new rule's first order falls one interval (or the next cron time) from now."""
    check_classes(session, {r.asset_class for r in body})
    try:
        rules = [PmRule(**r.model_dump()) for r in body]
    except ValueError as exc:
        raise Invalid(str(exc), "bad_pm_rule") from exc
    keys = [r.key for r in rules]
    if len(set(keys)) != len(keys):
        raise Invalid("two rules of one class share a title", "bad_pm_rule")
    set_plan(session, rules, clock.now())
    return _public(session)


def _public(session: SessionDep) -> list[PmRulePublic]:
    return [
        PmRulePublic(
            position=i,
            since=s.since,
            **{k: v for k, v in dataclasses.asdict(s.rule).items() if k != "criticality"},
            criticality=list(s.rule.criticality),
        )
        for i, s in enumerate(stored_plan(session))
    ]
