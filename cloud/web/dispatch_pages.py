"""The dispatcher's desk beyond the board: merging duplicate reports and the roster."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from cloud.api.deps import ClockDep, SessionDep
from cloud.errors import Forbidden, Invalid
from cloud.people.access import OVERSEERS, check_act
from cloud.tables import Team, User
from cloud.web.deps import Viewer, ViewerWeb, check_csrf, page
from cloud.workorders import desk, teams
from cloud.workorders import lifecycle as lc
from cloud.workorders import order_records as orders

router = APIRouter(prefix="/app", include_in_schema=False)
Text = Annotated[str, Form(max_length=100)]


def _overseer(viewer: Viewer) -> None:
    if not viewer.person.has(*OVERSEERS):
        raise Forbidden("the roster and merges are the dispatchers'", "not_allowed")


@router.post("/orders/{order_id}/merge")
def merge(
    order_id: int,
    viewer: ViewerWeb,
    session: SessionDep,
    clock: ClockDep,
    csrf: Text,
    duplicate: Annotated[int, Form(ge=1)],
) -> Response:
    """Fold a duplicate report of the same equipment into this order."""
    check_csrf(viewer, csrf)
    for oid in (order_id, duplicate):
        check_act(session, viewer.person, orders.get(session, oid), lc.Action.CANCEL)
    desk.merge(session, order_id, duplicate, viewer.person.username, clock.now())
    return RedirectResponse(f"/app/orders/{order_id}", status_code=303)


def _roster_page(
    request: Request,
    viewer: Viewer,
    session: SessionDep,
    now: datetime,
    error: str = "",
    status: int = 200,
) -> Response:
    techs = session.scalars(
        select(User).where(User.roles.contains("technician")).order_by(User.username)
    )
    return page(
        request,
        "roster.html",
        viewer,
        status,
        shifts=teams.current_shifts(session, now),
        technicians=list(techs),
        teams=list(session.scalars(select(Team).order_by(Team.id))),
        error=error,
    )


@router.get("/roster")
def roster(request: Request, viewer: ViewerWeb, session: SessionDep, clock: ClockDep) -> Response:
    """Who is on duty for which team, now and next."""
    _overseer(viewer)
    return _roster_page(request, viewer, session, clock.now())


@router.post("/roster")
def add_shift(
    request: Request,
    viewer: ViewerWeb,
    session: SessionDep,
    clock: ClockDep,
    csrf: Text,
    technician: Text,
    team: Text,
    starts: Annotated[str, Form(max_length=16)],
    ends: Annotated[str, Form(max_length=16)],
) -> Response:
    """Put a technician on duty (times in the site's time zone)."""
    check_csrf(viewer, csrf)
    _overseer(viewer)
    zone = ZoneInfo(viewer.zone)
    try:
        start = datetime.fromisoformat(starts).replace(tzinfo=zone)
        end = datetime.fromisoformat(ends).replace(tzinfo=zone)
        teams.add_shift(session, technician, team, start, end)
    except (ValueError, Invalid) as exc:
        session.rollback()
        text = exc.detail if isinstance(exc, Invalid) else f"unreadable time: {exc}"
        return _roster_page(request, viewer, session, clock.now(), text, 422)
    return RedirectResponse("/app/roster", status_code=303)


@router.post("/roster/{shift_id}/remove")
def remove_shift(shift_id: int, viewer: ViewerWeb, session: SessionDep, csrf: Text) -> Response:
    """Take a shift off the roster."""
    check_csrf(viewer, csrf)
    _overseer(viewer)
    teams.remove_shift(session, shift_id)
    return RedirectResponse("/app/roster", status_code=303)
