"""The periodic escalation checker: a thin loop around ``store.escalate`` and the notifier."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from cloud.alerts.notifier import Notifier
from cloud.alerts.setup import escalation_group
from cloud.models import EscalationRow, WorkOrderRow
from cloud.workorders import store

log = logging.getLogger("plantwatch.cloud.escalation")


async def check_once(sessions: sessionmaker[Session], notifier: Notifier | None = None) -> int:
    """Record the escalations due now and announce them; returns how many were new."""

    def record() -> list[tuple[WorkOrderRow, EscalationRow]]:
        with sessions() as session:
            new = store.escalate(session, datetime.now(UTC))
            pairs = [(session.get(WorkOrderRow, e.order_id), e) for e in new]
            return [(o, e) for o, e in pairs if o is not None]

    found = await asyncio.to_thread(record)
    for order, e in found:
        log.warning(
            "work order %d escalated to level %d; notified: %s", e.order_id, e.level, e.notified
        )
        if notifier is not None and notifier.channels:
            for d in await notifier.notify(escalation_group(order, e)):
                if not d.ok:
                    log.error("escalation alert via %s failed: %s", d.channel, d.error)
    return len(found)


async def run(sessions: sessionmaker[Session], every_s: float, notifier: Notifier) -> None:
    """Check forever; a failed check is logged and the next one runs on time."""
    while True:
        try:
            await check_once(sessions, notifier)
        except Exception:  # a database hiccup must not end escalation for good
            log.exception("escalation check failed")
        await asyncio.sleep(every_s)
