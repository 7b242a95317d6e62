"""Lifecycle cost per asset: repairs, their cost, downtime, and when to replace it.

Pure figures over an asset's orders; ``asset_costs`` reads them from the registry. Repair
cost is labour (hours times the site's rate) plus parts. Downtime counts each corrective
order from report to completion (an upper bound: an asset often runs while it waits).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cloud.settings import Settings
from cloud.tables import Asset, LifecycleRow, WorkOrderRow, WorkOrderStep

PREVENTIVE = "preventive"
YEAR = timedelta(days=365.25)


@dataclass(frozen=True)
class OrderCost:
    """What one order cost and how long it kept its asset from service."""

    source: str
    reported_at: datetime
    completed_at: datetime | None
    labour_h: float
    parts_cost: float

    @property
    def corrective(self) -> bool:
        """Work that a fault asked for (anything but the preventive plan)."""
        return self.source != PREVENTIVE


@dataclass(frozen=True)
class Policy:
    """The site's costing: labour rate and the replacement rule."""

    labour_rate: float = 0.0
    years: float = 3.0
    share: float = 0.3


def policy_from(settings: Settings) -> Policy:
    """The costing the site configured."""
    return Policy(
        settings.labour_rate_per_h, settings.replacement_years, settings.replacement_share
    )


@dataclass(frozen=True)
class Lifecycle:
    """One asset's figures."""

    asset_id: str
    asset_class: str
    currency: str
    purchase_value: float | None
    years_in_service: float
    preventive: int
    corrective: int
    repair_cost: float
    recent_repair_cost: float
    maintenance_cost: float
    downtime_h: float
    availability: float
    cost_per_year: float | None
    replace: bool
    reason: str


def lifecycle(
    asset: Asset, orders: list[OrderCost], now: datetime, policy: Policy = Policy()
) -> Lifecycle:
    """The figures of ``asset`` at ``now`` from its orders."""
    installed = datetime.combine(asset.install_date, datetime.min.time(), now.tzinfo)
    years = max((now - installed) / YEAR, 1 / 365.25)
    since = now - policy.years * YEAR

    def cost(o: OrderCost) -> float:
        return o.labour_h * policy.labour_rate + o.parts_cost

    corrective = [o for o in orders if o.corrective]
    repair = sum(cost(o) for o in corrective)
    recent = sum(cost(o) for o in corrective if o.reported_at >= since)
    down = sum(((o.completed_at or now) - o.reported_at).total_seconds() for o in corrective)
    window_s = min(years, policy.years) * YEAR.total_seconds()
    recent_down = sum(
        ((o.completed_at or now) - max(o.reported_at, since)).total_seconds()
        for o in corrective
        if (o.completed_at or now) > since
    )
    total = sum(cost(o) for o in orders)
    value = asset.purchase_value
    replace, reason = False, "no purchase value in the register" if value is None else ""
    if value is not None and value > 0:
        limit = policy.share * value
        replace = recent > limit
        reason = (
            f"repairs over the last {policy.years:g} years cost {recent:,.0f}, "
            f"{'over' if replace else 'within'} {policy.share:.0%} of the purchase value "
            f"({limit:,.0f})"
        )
    return Lifecycle(
        asset_id=asset.id,
        asset_class=asset.asset_class,
        currency=asset.currency,
        purchase_value=value,
        years_in_service=round(years, 2),
        preventive=len(orders) - len(corrective),
        corrective=len(corrective),
        repair_cost=round(repair, 2),
        recent_repair_cost=round(recent, 2),
        maintenance_cost=round(total, 2),
        downtime_h=round(down / 3600, 2),
        availability=round(max(0.0, 1 - recent_down / window_s), 5),
        cost_per_year=round(((value or 0) + total) / years, 2) if value is not None else None,
        replace=replace,
        reason=reason,
    )


def asset_costs(
    session: Session, now: datetime, policy: Policy, asset_id: str | None = None
) -> list[Lifecycle]:
    """Every asset's figures (or one asset's), in id order."""
    done = (
        select(WorkOrderStep.order_id, func.min(WorkOrderStep.at).label("at"))
        .where(WorkOrderStep.action == "complete")
        .group_by(WorkOrderStep.order_id)
        .subquery()
    )
    q = select(
        WorkOrderRow.asset_id,
        WorkOrderRow.source,
        WorkOrderRow.reported_at,
        done.c.at,
        WorkOrderRow.labour_h,
        WorkOrderRow.parts_cost,
    ).outerjoin(done, done.c.order_id == WorkOrderRow.id)
    assets = select(Asset).order_by(Asset.id)
    if asset_id is not None:
        q, assets = q.where(WorkOrderRow.asset_id == asset_id), assets.where(Asset.id == asset_id)
    by_asset: dict[str, list[OrderCost]] = {}
    for a_id, source, reported, completed, labour, parts in session.execute(q):
        by_asset.setdefault(a_id, []).append(
            OrderCost(
                source,
                _aware(reported),
                _aware(completed) if completed else None,
                labour or 0.0,
                parts or 0.0,
            )
        )
    return [lifecycle(a, by_asset.get(a.id, []), now, policy) for a in session.scalars(assets)]


def refresh_lifecycle(
    session: Session, now: datetime, policy: Policy, every_s: float = 600.0
) -> bool:
    """Store every asset's figures for the dashboards when the last ones are older than
    ``every_s`` (any process may call it; the table says when it was last done)."""
    last = session.scalar(select(func.max(LifecycleRow.computed_at)))
    if last is not None and (now - _aware(last)).total_seconds() < every_s:
        return False
    figures = asset_costs(session, now, policy)
    session.execute(delete(LifecycleRow))
    session.add_all(LifecycleRow(computed_at=now, **dataclasses.asdict(f)) for f in figures)
    session.commit()
    return True


def _aware(ts: datetime | str) -> datetime:
    # SQLite hands an aggregate back as text without its zone; the registry stores UTC.
    if isinstance(ts, str):
        ts = datetime.fromisoformat(ts)
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)
