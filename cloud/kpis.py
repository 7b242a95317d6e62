"""Maintenance KPIs from the database: a query shell that gathers order facts, and pure sums.

Per site, team and period: 1530 compliance (dispatch, acknowledgement, arrival on time),
MTTA, MTTR, backlog by team, priority and age, overdue and escalated orders, warning
precision and event recall from technicians' outcomes, availability per asset.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from statistics import fmean

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from cloud.tables import Asset, EscalationRow, WorkOrderRow
from cloud.workorders.lifecycle import FOLLOW_UP_AT
from cloud.workorders.order_records import OPEN, aware

AGE_BUCKETS = ((3600, "<1h"), (86_400, "1h-1d"), (7 * 86_400, "1d-7d"))
CORRECTIVE = ("manual", "alarm", "request")
BACKLOG = [s for s in OPEN if s != "completed"]  # work still to do
BAD_RATING_FLAG = 0.02  # a team whose monthly share of ratings <= 2 is above this is flagged
MISSED_WINDOW = timedelta(hours=48)  # a failure with no warning order this long before: missed


@dataclass(frozen=True)
class OrderFacts:
    """What the KPIs need of one order: due times and when each step first happened."""

    id: int
    asset: str
    site: str
    team: str
    priority: str
    source: str
    state: str
    outcome: str | None
    reported: datetime
    dispatch_by: datetime
    acknowledge_by: datetime
    on_site_by: datetime
    steps: dict[str, datetime]
    escalations: int
    rating: int | None = None


@dataclass
class Compliance:
    """Orders whose deadline has come, and how many met it."""

    due: int = 0
    met: int = 0

    @property
    def pct(self) -> float | None:
        """Share met, in percent (None before any deadline came)."""
        return round(100 * self.met / self.due, 1) if self.due else None


@dataclass
class Kpis:
    """The KPIs of one selection of orders."""

    orders: int
    dispatch: Compliance
    acknowledge: Compliance
    on_site: Compliance
    mtta_min: float | None
    mttr_h: float | None
    backlog: dict[tuple[str, str, str], int]
    overdue: int
    escalated: int
    confirmed: int
    false_alarms: int
    missed: int
    availability: dict[str, float] = field(default_factory=dict)
    rated: int = 0
    bad_ratings: int = 0

    @property
    def bad_rating_share(self) -> float | None:
        """Share of rated orders rated 2 or less (flagged above ``BAD_RATING_FLAG``)."""
        return round(self.bad_ratings / self.rated, 4) if self.rated else None

    @property
    def bad_ratings_flagged(self) -> bool:
        """True when the team's share of bad ratings is above the service plan's 2 %."""
        share = self.bad_rating_share
        return share is not None and share > BAD_RATING_FLAG

    @property
    def warning_precision(self) -> float | None:
        """Confirmed predictive orders over those judged."""
        judged = self.confirmed + self.false_alarms
        return round(self.confirmed / judged, 3) if judged else None

    @property
    def event_recall(self) -> float | None:
        """Failures warned of over all failures (warned of, plus corrective ones not warned of)."""
        failures = self.confirmed + self.missed
        return round(self.confirmed / failures, 3) if failures else None


def _check(c: Compliance, done: datetime | None, due: datetime, now: datetime) -> None:
    if done is not None and done <= due:
        c.due, c.met = c.due + 1, c.met + 1
    elif done is not None or now > due:
        c.due += 1


def age_bucket(age_s: float) -> str:
    """The backlog age bucket of an open order."""
    return next((name for limit, name in AGE_BUCKETS if age_s < limit), ">7d")


def _overdue(f: OrderFacts, now: datetime) -> bool:
    for action, due in (
        ("dispatch", f.dispatch_by),
        ("acknowledge", f.acknowledge_by),
        ("arrive", f.on_site_by),
    ):
        if action not in f.steps and now > due:
            return True
    return False


def _downtime_s(f: OrderFacts, start: datetime, end: datetime) -> float:
    """Corrective orders: down from the report; planned work: from the start of the work."""
    done = f.steps.get("complete")
    begin = f.reported if f.source in CORRECTIVE else f.steps.get("start")
    if begin is None:
        return 0.0
    a, b = max(begin, start), min(done or end, end)
    return max(0.0, (b - a).total_seconds())


def summarise(
    facts: list[OrderFacts],
    assets: list[str],
    start: datetime,
    end: datetime,
    now: datetime,
) -> Kpis:
    """The KPIs of orders reported in [start, end), judged at ``now``."""
    dispatch, ack, on_site = Compliance(), Compliance(), Compliance()
    acks, repairs = [], []
    backlog: Counter[tuple[str, str, str]] = Counter()
    for f in facts:
        _check(dispatch, f.steps.get("dispatch"), f.dispatch_by, now)
        _check(ack, f.steps.get("acknowledge"), f.acknowledge_by, now)
        _check(on_site, f.steps.get("arrive"), f.on_site_by, now)
        if "acknowledge" in f.steps:
            acks.append((f.steps["acknowledge"] - f.reported).total_seconds() / 60)
        if "complete" in f.steps:
            repairs.append((f.steps["complete"] - f.reported).total_seconds() / 3600)
        if f.state in BACKLOG:
            age = (now - f.reported).total_seconds()
            backlog[(f.team, f.priority, age_bucket(age))] += 1
    warned = [f for f in facts if f.source == "warning"]
    missed = [
        f
        for f in facts
        if f.source in CORRECTIVE
        and "complete" in f.steps
        and not any(
            w.asset == f.asset and f.reported - MISSED_WINDOW <= w.reported <= f.reported
            for w in warned
        )
    ]
    until = min(end, now)  # the part of the period that has happened
    span = max(1.0, (until - start).total_seconds())
    down: dict[str, float] = dict.fromkeys(assets, 0.0)
    for f in facts:
        down[f.asset] = down.get(f.asset, 0.0) + _downtime_s(f, start, until)
    return Kpis(
        orders=len(facts),
        dispatch=dispatch,
        acknowledge=ack,
        on_site=on_site,
        mtta_min=round(fmean(acks), 2) if acks else None,
        mttr_h=round(fmean(repairs), 2) if repairs else None,
        backlog=dict(sorted(backlog.items())),
        overdue=sum(1 for f in facts if f.state in BACKLOG and _overdue(f, now)),
        escalated=sum(1 for f in facts if f.escalations),
        confirmed=sum(1 for f in warned if f.outcome == "confirmed"),
        false_alarms=sum(1 for f in warned if f.outcome == "false_alarm"),
        missed=len(missed),
        availability={a: round(1 - min(down[a], span) / span, 5) for a in sorted(assets)},
        rated=sum(1 for f in facts if f.rating is not None),
        bad_ratings=sum(1 for f in facts if f.rating is not None and f.rating <= FOLLOW_UP_AT),
    )


def order_facts(
    session: Session,
    start: datetime,
    end: datetime,
    site: str | None = None,
    team: str | None = None,
) -> tuple[list[OrderFacts], list[str]]:
    """Facts of the orders reported in [start, end), and the assets of the selection."""
    q = (
        select(WorkOrderRow, Asset.site)
        .join(Asset, Asset.id == WorkOrderRow.asset_id)
        .options(selectinload(WorkOrderRow.steps))
        .where(WorkOrderRow.reported_at >= start, WorkOrderRow.reported_at < end)
    )
    aq = select(Asset.id).where(Asset.retired.is_(False))
    if site is not None:
        q, aq = q.where(Asset.site == site), aq.where(Asset.site == site)
    if team is not None:
        q = q.where(WorkOrderRow.team_id == team)
    rows = session.execute(q).all()
    escalated = Counter(
        session.scalars(
            select(EscalationRow.order_id).where(
                EscalationRow.order_id.in_([r.id for r, _ in rows])
            )
        )
    )
    out = []
    for r, asset_site in rows:
        first: dict[str, datetime] = {}
        for s in r.steps:
            first.setdefault(s.action, aware(s.at))
        out.append(
            OrderFacts(
                r.id,
                r.asset_id,
                asset_site,
                r.team_id or "",
                r.priority,
                r.source,
                r.state,
                r.outcome,
                aware(r.reported_at),
                aware(r.dispatch_by),
                aware(r.acknowledge_by),
                aware(r.on_site_by),
                first,
                escalated[r.id],
                r.rating,
            )
        )
    assets = sorted({f.asset for f in out}) if team is not None else list(session.scalars(aq))
    return out, assets


def kpis(
    session: Session,
    start: datetime,
    end: datetime,
    site: str | None = None,
    team: str | None = None,
    now: datetime | None = None,
) -> Kpis:
    """The KPIs of a site and/or team over a period."""
    facts, assets = order_facts(session, start, end, site, team)
    return summarise(facts, assets, start, end, now or datetime.now(UTC))
