"""Work orders on the phone: the technician's list and order, the dispatcher's board."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Query, Request
from sqlalchemy import and_, func, or_, select
from starlette.responses import JSONResponse, RedirectResponse, Response

from cloud.api.deps import ClockDep, NotifierDep, SessionDep
from cloud.errors import Forbidden, Invalid
from cloud.people.access import OVERSEERS, check_act, check_see, visible
from cloud.people.photos import photos_of
from cloud.tables import Asset, User, WarningRow, WorkOrderRow, WorkOrderStep
from cloud.warnings.warning_records import held_incidents
from cloud.web.deps import Viewer, ViewerWeb, check_csrf, page
from cloud.workorders import desk
from cloud.workorders import lifecycle as lc
from cloud.workorders import order_records as orders
from cloud.workorders.codes import ACTIVITIES, MECHANISMS, MODES, UnknownCode, modes_for
from cloud.workorders.step_notices import announce_step

router = APIRouter(prefix="/app", include_in_schema=False)
Text = Annotated[str, Form(max_length=500)]
CLOSED = (lc.State.CLOSED.value, lc.State.CANCELLED.value)
BOARD_LIMIT = 200  # the most urgent first; filters narrow the rest


def next_deadline(row: WorkOrderRow) -> tuple[str, datetime | None]:
    """The service-level clock that runs now: what is due next, and by when."""
    state = lc.State(row.state)
    if state is lc.State.REPORTED:
        return "dispatch", orders.aware(row.dispatch_by)
    if state is lc.State.DISPATCHED:
        return "acknowledge", orders.aware(row.acknowledge_by)
    if state is lc.State.ACKNOWLEDGED:
        return "on site", orders.aware(row.on_site_by)
    return "", None


def _open_visible(session: SessionDep, viewer: Viewer) -> list[WorkOrderRow]:
    q = (
        select(WorkOrderRow)
        .where(visible(viewer.person), WorkOrderRow.state.in_(orders.OPEN))
        .order_by(WorkOrderRow.on_site_by, WorkOrderRow.id)
        .limit(BOARD_LIMIT)
    )
    return list(session.scalars(q))


@router.get("/orders")
def my_orders(request: Request, viewer: ViewerWeb, session: SessionDep) -> Response:
    """The technician's open orders, the most urgent deadline first."""
    me = viewer.person
    mine = or_(
        WorkOrderRow.assignee == me.username,
        and_(WorkOrderRow.team_id.in_(sorted(me.teams)), WorkOrderRow.assignee.is_(None)),
    )
    q = (
        select(WorkOrderRow)
        .where(visible(me), mine, WorkOrderRow.state.in_(orders.OPEN))
        .order_by(WorkOrderRow.on_site_by, WorkOrderRow.id)
        .limit(BOARD_LIMIT)
    )
    rows = list(session.scalars(q))
    rows.sort(key=lambda r: (next_deadline(r)[1] or orders.aware(r.on_site_by), r.id))
    return page(request, "orders.html", viewer, rows=rows, deadline=next_deadline)


def _order_page(
    request: Request,
    viewer: Viewer,
    session: SessionDep,
    row: WorkOrderRow,
    error: str = "",
    status: int = 200,
) -> Response:
    asset = session.get(Asset, row.asset_id)
    cls = asset.asset_class if asset else ""
    warning = session.scalar(select(WarningRow).where(WarningRow.work_order_id == row.id))
    technicians = list(
        session.scalars(
            select(User).where(User.roles.contains("technician")).order_by(User.username)
        )
    )
    return page(
        request,
        "order.html",
        viewer,
        status,
        order=row,
        asset=asset,
        warning=warning,
        allowed=[a.value for a in lc.allowed(lc.State(row.state))],
        problems={m: MODES[m] for m in modes_for(cls)},
        causes=MECHANISMS,
        remedies=ACTIVITIES,
        outcomes=[o.value for o in lc.Outcome],
        technicians=technicians,
        deadline=next_deadline(row),
        photos=photos_of(session, row.id),
        duplicates=[
            d
            for d in session.scalars(
                select(WorkOrderRow).where(
                    WorkOrderRow.asset_id == row.asset_id,
                    WorkOrderRow.id != row.id,
                    WorkOrderRow.state.in_([s.value for s in lc.BEFORE_WORK]),
                )
            )
        ],
        error=error,
        oversees=viewer.person.has(*OVERSEERS),
    )


@router.get("/orders/{order_id}")
def order_page(order_id: int, request: Request, viewer: ViewerWeb, session: SessionDep) -> Response:
    """One order: its deadlines, the warning behind it, and the actions the person may take."""
    row = orders.get(session, order_id)
    check_see(session, viewer.person, row)
    return _order_page(request, viewer, session, row)


@router.post("/orders/{order_id}/act")
def act(
    order_id: int,
    request: Request,
    viewer: ViewerWeb,
    session: SessionDep,
    clock: ClockDep,
    notifier: NotifierDep,
    background: BackgroundTasks,
    csrf: Text,
    action: Annotated[lc.Action, Form()],
    label: Text = "",
    reason: Text = "",
    assignee: Text = "",
    problem: Text = "",
    cause: Text = "",
    remedy: Text = "",
    outcome: Text = "",
    rating: Annotated[int | None, Form(ge=1, le=5)] = None,
    labour_h: Text = "",
    parts: Text = "",
    parts_cost: Text = "",
    note: Text = "",
) -> Response:
    """Take one action through the same rules as the API; a refusal shows its reason."""
    check_csrf(viewer, csrf)
    row = orders.get(session, order_id)
    check_act(session, viewer.person, row, action)
    try:
        if action is lc.Action.ARRIVE:
            desk.check_label(session, row, label)
        code = lc.FailureCode(problem, cause, remedy) if problem else None
        row = orders.act(
            session,
            order_id,
            action,
            viewer.person.username,
            clock.now(),
            assignee=assignee or None,
            reason=reason or None,
            failure_code=code,
            outcome=lc.Outcome(outcome) if outcome else None,
            rating=rating,
            labour_h=float(labour_h) if labour_h.strip() else None,
            parts=parts.strip() or None,
            parts_cost=float(parts_cost) if parts_cost.strip() else None,
        )
        if note.strip():
            orders.comment(session, order_id, note.strip(), viewer.person.username, clock.now())
    except (lc.IllegalTransition, Invalid, UnknownCode, ValueError) as exc:
        session.rollback()
        status = 409 if isinstance(exc, lc.IllegalTransition) else 422
        text = exc.detail if isinstance(exc, Invalid) else str(exc)
        return _order_page(request, viewer, session, orders.get(session, order_id), text, status)
    announce_step(row, notifier, background)
    return RedirectResponse(f"/app/orders/{order_id}", status_code=303)


@router.get("/board")
def board(
    request: Request,
    viewer: ViewerWeb,
    session: SessionDep,
    site: Annotated[str | None, Query(max_length=64)] = None,
    team: Annotated[str | None, Query(max_length=64)] = None,
    priority: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    """Open orders with their three service-level clocks, filtered by site, team, priority."""
    if not viewer.person.has(*OVERSEERS):
        raise Forbidden("the board is the dispatchers'", "not_allowed")
    rows = _open_visible(session, viewer)
    sites = {a.id: a.site for a in session.scalars(select(Asset))}
    rows = [
        r
        for r in rows
        if (site is None or sites.get(r.asset_id) == site)
        and (team is None or r.team_id == team)
        and (priority is None or r.priority == priority)
    ]
    technicians = list(
        session.scalars(
            select(User).where(User.roles.contains("technician")).order_by(User.username)
        )
    )
    triage = list(
        session.scalars(
            select(WarningRow).where(WarningRow.state == "open", WarningRow.work_order_id.is_(None))
        )
    )
    held = [
        (st, w)
        for st, w in held_incidents(session)
        if site is None or sites.get(st.asset_id) == site
    ]
    return page(
        request,
        "board.html",
        viewer,
        rows=rows,
        sites=sites,
        filters={"site": site or "", "team": team or "", "priority": priority or ""},
        technicians=technicians,
        triage=triage,
        held=held,
        deadline=next_deadline,
    )


@router.get("/changes")
def changes(viewer: ViewerWeb, session: SessionDep) -> Response:
    """The newest change to any order: pages poll it and refresh when it moves."""
    newest = session.scalar(select(func.max(WorkOrderStep.id))) or 0
    return JSONResponse({"version": int(newest)}, headers={"Cache-Control": "no-store"})
