"""The supervisor's month: each team's 1530 compliance, response and repair times, bad
ratings (flagged above 2 %) and escalations. Grafana stays the place for trends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import select
from starlette.responses import Response

from cloud import kpis as k
from cloud.api.deps import ClockDep, SessionDep
from cloud.errors import Forbidden
from cloud.people.access import OVERSEERS
from cloud.tables import Team
from cloud.web.deps import ViewerWeb, page

router = APIRouter(prefix="/app", include_in_schema=False)


def month_bounds(month: str, now: datetime) -> tuple[datetime, datetime, str]:
    """[start, end) of a YYYY-MM month (this month when empty or unreadable)."""
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + (start.month == 12), month=start.month % 12 + 1)
    return start, end, start.strftime("%Y-%m")


@router.get("/kpis")
def team_month(
    request: Request,
    viewer: ViewerWeb,
    session: SessionDep,
    clock: ClockDep,
    month: Annotated[str, Query(max_length=7)] = "",
) -> Response:
    """Per team, for one month of reported orders."""
    if not viewer.person.has(*OVERSEERS):
        raise Forbidden("team figures are for supervisors and dispatchers", "not_allowed")
    now = clock.now()
    start, end, label = month_bounds(month, now)
    teams = [
        t
        for t in session.scalars(select(Team).order_by(Team.id))
        if not viewer.person.teams or t.id in viewer.person.teams or viewer.person.has(*OVERSEERS)
    ]
    rows = [(t, k.kpis(session, start, end, None, t.id, now)) for t in teams]
    return page(request, "kpis.html", viewer, rows=rows, month=label, flag=k.BAD_RATING_FLAG)
