"""The preventive plan in the registry, and the orders it opens (once per due date)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud.tables import Asset, PmRuleRow, WorkOrderRow
from cloud.workorders import order_records as orders
from cloud.workorders.pm_rules import PmRule, calendar_due, usage_due
from cloud.workorders.sla import Priority
from kernel.catalogue import active_catalogue

PLANNER = "pm-planner"
SOURCE = "preventive"
# (assets, counter signal, at) -> the counter's reading per asset at or before ``at``
Counters = Callable[[Sequence[Asset], str, datetime | None], dict[str, float]]


@dataclass(frozen=True)
class StoredRule:
    """A rule of the stored plan with when it began."""

    rule: PmRule
    since: datetime


def default_rules() -> tuple[PmRule, ...]:
    """The starting plan a site can load (`PUT /api/v1/pm-rules`): every catalogue class's
    rules, in file order."""
    return tuple(
        PmRule(
            c.name,
            r.title,
            every_days=r.every_days,
            cron=r.cron,
            usage_signal=r.usage.signal if r.usage else None,
            usage_every=r.usage.every if r.usage else None,
            min_age_years=r.min_age_years,
            max_age_years=r.max_age_years,
            criticality=tuple(r.criticality),
        )
        for c in active_catalogue()
        for r in c.pm_rules
    )


def _rule(r: PmRuleRow) -> PmRule:
    return PmRule(
        r.asset_class,
        r.title,
        every_days=r.every_days,
        cron=r.cron,
        usage_signal=r.usage_signal,
        usage_every=r.usage_every,
        min_age_years=r.min_age_years,
        max_age_years=r.max_age_years,
        criticality=tuple(c for c in r.criticality.split(",") if c),
    )


def stored_plan(session: Session) -> list[StoredRule]:
    """The plan in order, each rule with when it began."""
    rows = session.scalars(select(PmRuleRow).order_by(PmRuleRow.position, PmRuleRow.id))
    return [StoredRule(_rule(r), orders.aware(r.since)) for r in rows]


def set_plan(session: Session, rules: Sequence[PmRule], now: datetime) -> None:
    """Replace the plan. A rule that was already in it (same class and title) keeps when it
    began, so a plan change neither repeats nor skips a due date; a new rule begins now."""
    began = {s.rule.key: s.since for s in stored_plan(session)}
    for old in session.scalars(select(PmRuleRow)):
        session.delete(old)
    session.add_all(
        PmRuleRow(
            position=i,
            asset_class=r.asset_class,
            every_days=r.every_days,
            cron=r.cron,
            usage_signal=r.usage_signal,
            usage_every=r.usage_every,
            min_age_years=r.min_age_years,
            max_age_years=r.max_age_years,
            criticality=",".join(r.criticality),
            title=r.title,
            since=began.get(r.key, now),
        )
        for i, r in enumerate(rules)
    )
    session.commit()


def _last_marks(session: Session) -> dict[tuple[str, str], tuple[datetime | None, float | None]]:
    q = (
        select(
            WorkOrderRow.asset_id,
            WorkOrderRow.pm_rule,
            func.max(WorkOrderRow.pm_due_at),
            func.max(WorkOrderRow.pm_counter),
        )
        .where(WorkOrderRow.source == SOURCE, WorkOrderRow.pm_rule.is_not(None))
        .group_by(WorkOrderRow.asset_id, WorkOrderRow.pm_rule)
    )
    return {
        (a, str(r)): (orders.aware(d) if d is not None else None, c)
        for a, r, d, c in session.execute(q)
    }


def _open(
    session: Session, asset: Asset, rule: PmRule, now: datetime, mark: orders.PmMark
) -> WorkOrderRow | None:
    rep = orders.Report(asset.id, SOURCE, "inspection", rule.title, Priority.NORMAL, pm=mark)
    try:
        return orders.report(session, rep, PLANNER, now)
    except IntegrityError:  # another checker opened this due date's order first
        session.rollback()
        return None


def plan_preventive(
    session: Session, now: datetime, counters: Counters | None = None, tz: tzinfo = UTC
) -> list[WorkOrderRow]:
    """Open the preventive orders due now: one per rule, asset and due date (or counter
    multiple), returned loaded. Calendar rules count from their last order or from when they
    began; rules on use need ``counters`` (the time-series store) and are skipped without it."""
    plan = stored_plan(session)
    if not plan:
        return []
    last = _last_marks(session)
    assets = list(session.scalars(select(Asset).where(Asset.retired.is_(False)).order_by(Asset.id)))
    out = []
    for stored in plan:
        rule = stored.rule
        mine = [
            a
            for a in assets
            if rule.matches(a.asset_class, a.install_date, a.criticality, now.date())
        ]
        if rule.on_use:
            if counters is None or not mine:
                continue
            assert rule.usage_signal is not None
            values = counters(mine, rule.usage_signal, None)
            begun = counters(mine, rule.usage_signal, stored.since)
            for a in mine:
                if a.id not in values:
                    continue
                start = last.get((a.id, rule.key), (None, None))[1]
                if start is None:
                    start = begun.get(a.id, values[a.id])
                multiple = usage_due(rule, start, values[a.id])
                if multiple is not None:
                    row = _open(session, a, rule, now, orders.PmMark(rule.key, None, multiple))
                    out += [row] if row is not None else []
            continue
        for a in mine:
            after = last.get((a.id, rule.key), (None, None))[0] or stored.since
            due = calendar_due(rule, after, now, tz)
            if due is not None:
                row = _open(
                    session, a, rule, now, orders.PmMark(rule.key, due.astimezone(UTC), None)
                )
                out += [row] if row is not None else []
    # An order another checker opened first rolls back, which expires the orders committed
    # before it: load them again, so they can be announced once the session is closed.
    for row in out:
        session.refresh(row)
    return out
