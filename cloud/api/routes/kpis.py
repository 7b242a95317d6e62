"""Maintenance KPIs per site, team and period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from cloud import kpis as k
from cloud.api.deps import ClockDep, SessionDep, ViewerDep
from cloud.api.errors import AUTHENTICATED, Rejected
from cloud.schemas import BacklogOut, ComplianceOut, KpisPublic

EARLIEST = datetime(1970, 2, 1, tzinfo=UTC)  # a default start 30 days back stays representable
LATEST = datetime(9999, 1, 1, tzinfo=UTC)

router = APIRouter(prefix="/api/v1/kpis", tags=["kpis"], responses=AUTHENTICATED)


def _c(c: k.Compliance) -> ComplianceOut:
    return ComplianceOut(due=c.due, met=c.met, pct=c.pct)


@router.get("", response_model=KpisPublic)
def get_kpis(
    _: ViewerDep,
    session: SessionDep,
    clock: ClockDep,
    start: Annotated[AwareDatetime | None, Query(description="Default: 30 days ago")] = None,
    end: Annotated[AwareDatetime | None, Query(description="Default: now")] = None,
    site: Annotated[str | None, Query(max_length=64)] = None,
    team: Annotated[str | None, Query(max_length=64)] = None,
) -> KpisPublic:
    """1530 compliance, MTTA, MTTR, backlog, overdue and escalated orders, warning precision
    and event recall, availability per asset, for orders reported in [start, end)."""
    now = clock.now()
    end = end or now
    if not all(EARLIEST <= t <= LATEST for t in (start or EARLIEST, end)):
        raise Rejected(422, "bad_period", f"start and end lie between {EARLIEST} and {LATEST}")
    start = start or end - timedelta(days=30)
    if start >= end:
        raise Rejected(422, "empty_period", "start must be before end")
    r = k.kpis(session, start, end, site, team, now)
    return KpisPublic(
        start=start,
        end=end,
        site=site,
        team=team,
        orders=r.orders,
        dispatched_in_time=_c(r.dispatch),
        acknowledged_in_time=_c(r.acknowledge),
        on_site_in_time=_c(r.on_site),
        mtta_min=r.mtta_min,
        mttr_h=r.mttr_h,
        backlog=[
            BacklogOut(team=t, priority=p, age=a, count=n) for (t, p, a), n in r.backlog.items()
        ],
        overdue=r.overdue,
        escalated=r.escalated,
        warnings_confirmed=r.confirmed,
        warnings_false_alarm=r.false_alarms,
        failures_missed=r.missed,
        warning_precision=r.warning_precision,
        rated=r.rated,
        bad_rating_share=r.bad_rating_share,
        bad_ratings_flagged=r.bad_ratings_flagged,
        event_recall=r.event_recall,
        availability=r.availability,
    )
