"""The periodic escalation checker: a thin loop around ``orders.escalate`` and the notifier."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

from sqlalchemy.orm import Session, sessionmaker

from cloud.alerts.notifier import Notifier
from cloud.clock import WALL, Clock, pause
from cloud.leases import Lease
from cloud.register.lifecycle import Policy, refresh_lifecycle
from cloud.storage.base import SeriesTags, TimeSeriesStore
from cloud.tables import Asset, EscalationRow, WorkOrderRow
from cloud.workorders.announcements import escalation_group, order_group
from cloud.workorders.escalations import escalate
from cloud.workorders.preventive import Counters, plan_preventive

log = logging.getLogger("plantwatch.cloud.escalation")


async def check_once(
    sessions: sessionmaker[Session],
    notifier: Notifier | None = None,
    now: datetime | None = None,
    counters: Counters | None = None,
    tz: tzinfo = UTC,
    policy: Policy | None = None,
) -> int:
    """Open the preventive orders due, record the escalations due, announce both; returns
    how many escalations were new."""
    at = now or datetime.now(UTC)

    def record() -> tuple[list[WorkOrderRow], list[tuple[WorkOrderRow, EscalationRow]]]:
        with sessions() as session:
            planned = plan_preventive(session, at, counters, tz)
            if policy is not None:
                refresh_lifecycle(session, at, policy)
        # A session of its own: an escalation that lost the race to another checker rolls
        # back, which would expire (and, once closed, detach) the orders just planned.
        with sessions() as session:
            new = escalate(session, at)
            pairs = [(session.get(WorkOrderRow, e.order_id), e) for e in new]
            return planned, [(o, e) for o, e in pairs if o is not None]

    planned, found = await asyncio.to_thread(record)
    for order in planned:
        log.info("preventive work order %d opened: %s", order.id, order.title)
        if notifier is not None:
            await notifier.notify(order_group(order))
            await notifier.page(order.id)
    for order, e in found:
        log.warning(
            "work order %d escalated to level %d; notified: %s", e.order_id, e.level, e.notified
        )
        if notifier is not None:
            for d in await notifier.notify(escalation_group(order, e)):
                if not d.ok:
                    log.error("escalation alert via %s failed: %s", d.channel, d.error)
            await notifier.page(order.id, e.level)
    return len(found)


def _hold(sessions: sessionmaker[Session], lease: Lease, now: datetime) -> bool:
    with sessions() as session:
        return lease.hold(session, now)


def store_counters(store: TimeSeriesStore) -> Counters:
    """Counter readings (running hours, trips) from the time-series store."""

    def read(assets: Sequence[Asset], signal: str, at: datetime | None) -> dict[str, float]:
        tags = [SeriesTags(a.asset_class, a.site, a.building, a.room, a.id) for a in assets]
        return {
            s.asset: s.value
            for s in store.latest(tags, at)
            if s.signal == signal and s.value is not None
        }

    return read


async def run(
    sessions: sessionmaker[Session],
    every_s: float,
    notifier: Notifier,
    clock: Clock = WALL,
    stop: asyncio.Event | None = None,
    lease: Lease | None = None,
    counters: Counters | None = None,
    tz: tzinfo = UTC,
    policy: Policy | None = None,
) -> None:
    """Check until ``stop``; a failed check is logged and the next one runs on time. With a
    lease, only the process holding it checks (others stand by to take over)."""
    stop = stop or asyncio.Event()
    held = False
    while not stop.is_set():
        try:
            if lease is not None:
                now = datetime.now(UTC)  # leases run on the wall clock, whatever the sim says
                holds = await asyncio.to_thread(_hold, sessions, lease, now)
                if holds != held:
                    log.info(
                        "checker lease %s %s", "taken by" if holds else "lost by", lease.holder
                    )
                    held = holds
                if not holds:
                    if await pause(stop, every_s):
                        return
                    continue
            await check_once(sessions, notifier, clock.now(), counters, tz, policy)
        except Exception:  # a database hiccup must not end escalation for good
            log.exception("escalation check failed")
        if await pause(stop, every_s):
            return
