"""Work orders from local alarms and from preventive-maintenance rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.tables import AlarmEventRow, Asset, PmRuleRow, WorkOrderRow
from cloud.workorders import order_records as orders
from cloud.workorders.sla import Priority
from kernel.catalogue import active_catalogue

GATEWAY = "gateway-alarm"
PLANNER = "pm-planner"
ALARM_PRIORITY = {"critical": Priority.URGENT, "warning": Priority.HIGH}  # info: no order


def alarm_report(a: AlarmEventRow) -> orders.Report | None:
    """The order a raised alarm asks for (an informational or cleared one asks for none)."""
    priority = ALARM_PRIORITY.get(a.severity)
    if a.state != "raised" or priority is None:
        return None
    title = f"Alarm {a.rule} on {a.asset_id}: {a.message}"[:200]
    return orders.Report(a.asset_id, "alarm", a.rule, title, priority)


def _open_order(session: Session, asset_id: str, source: str, fault: str) -> WorkOrderRow | None:
    return session.scalars(
        select(WorkOrderRow).where(
            WorkOrderRow.asset_id == asset_id,
            WorkOrderRow.source == source,
            WorkOrderRow.fault == fault,
            WorkOrderRow.state.in_(orders.OPEN),
        )
    ).first()


def orders_for_alarms(
    session: Session, alarms: list[AlarmEventRow], now: datetime
) -> list[WorkOrderRow]:
    """Open an order per raised alarm, unless that asset's same alarm already has one open
    (a cleared alarm is noted on its open order)."""
    out = []
    for a in alarms:
        if a.asset_id == a.gateway_id:
            continue  # the gateway's alarm about itself: kept and shown, no asset to work on
        existing = _open_order(session, a.asset_id, "alarm", a.rule)
        if a.state == "cleared" and existing is not None:
            orders.comment(
                session, existing.id, f"alarm cleared at {a.ts:%Y-%m-%d %H:%M}", GATEWAY, now
            )
            continue
        rep = alarm_report(a)
        if rep is None or existing is not None:
            continue
        out.append(orders.report(session, rep, f"{GATEWAY}:{a.gateway_id}", now))
    return out


@dataclass(frozen=True)
class PmRule:
    """Inspect assets of a class (older than ``min_age_years``) every ``every_days``."""

    asset_class: str
    every_days: float
    min_age_years: float = 0.0
    title: str = "Inspection"


def default_rules() -> tuple[PmRule, ...]:
    """The starting plan a site can load (`PUT /api/v1/pm-rules`): each catalogue class's
    interval rules, in file order (the first matching rule of a class applies)."""
    return tuple(
        PmRule(c.name, r.every_days, r.min_age_years, r.title)
        for c in active_catalogue()
        for r in c.pm_rules
        if r.every_days is not None
    )


def age_years(installed: date, today: date) -> float:
    """Years since installation."""
    return (today - installed).days / 365.25


def rule_for(
    asset_class: str, installed: date, today: date, rules: tuple[PmRule, ...]
) -> PmRule | None:
    """The first rule that applies to an asset."""
    age = age_years(installed, today)
    return next((r for r in rules if r.asset_class == asset_class and age >= r.min_age_years), None)


def pm_due(last: datetime, rule: PmRule, now: datetime) -> bool:
    """Due when its interval has passed since the last one (or since the plan began)."""
    return now - last >= timedelta(days=rule.every_days)


def pm_rules(session: Session) -> tuple[PmRule, ...]:
    """The site's preventive-maintenance plan, in order."""
    rows = session.scalars(select(PmRuleRow).order_by(PmRuleRow.position, PmRuleRow.id))
    return tuple(PmRule(r.asset_class, r.every_days, r.min_age_years, r.title) for r in rows)


def pm_since(session: Session) -> datetime | None:
    """When the current plan was set (the first interval of each asset runs from then)."""
    at = session.scalars(select(func.min(PmRuleRow.since))).first()
    return orders.aware(at) if at is not None else None


def set_pm_rules(session: Session, rules: tuple[PmRule, ...] | list[PmRule], now: datetime) -> None:
    """Replace the plan; its intervals run from ``now`` for assets never inspected under it."""
    for old in session.scalars(select(PmRuleRow)):
        session.delete(old)
    session.add_all(
        PmRuleRow(
            position=i,
            asset_class=r.asset_class,
            every_days=r.every_days,
            min_age_years=r.min_age_years,
            title=r.title,
            since=now,
        )
        for i, r in enumerate(rules)
    )
    session.commit()


def plan_preventive(session: Session, now: datetime) -> list[WorkOrderRow]:
    """Open the preventive orders due now under the stored plan (idempotent: an interval
    runs from the last preventive order of the asset)."""
    rules, since = pm_rules(session), pm_since(session)
    if not rules or since is None:
        return []
    last: dict[str, datetime] = {
        asset: at
        for asset, at in session.execute(
            select(WorkOrderRow.asset_id, func.max(WorkOrderRow.reported_at))
            .where(WorkOrderRow.source == "preventive")
            .group_by(WorkOrderRow.asset_id)
        )
    }
    out = []
    for asset in session.scalars(select(Asset).where(Asset.retired.is_(False)).order_by(Asset.id)):
        rule = rule_for(asset.asset_class, asset.install_date, now.date(), rules)
        done = last.get(asset.id)
        if rule is None or not pm_due(orders.aware(done) if done else since, rule, now):
            continue
        rep = orders.Report(asset.id, "preventive", "inspection", rule.title, Priority.NORMAL)
        out.append(orders.report(session, rep, PLANNER, now))
    return out
