"""The periodic escalation checker: a thin loop around ``store.escalate``."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from cloud.workorders import store

log = logging.getLogger("plantwatch.cloud.escalation")


def check_once(sessions: sessionmaker[Session]) -> int:
    """Record the escalations due now; returns how many were new."""
    with sessions() as session:
        new = store.escalate(session, datetime.now(UTC))
    for e in new:
        log.warning(
            "work order %d escalated to level %d; notified: %s", e.order_id, e.level, e.notified
        )
    return len(new)


async def run(sessions: sessionmaker[Session], every_s: float) -> None:
    """Check forever; a failed check is logged and the next one runs on time."""
    while True:
        try:
            await asyncio.to_thread(check_once, sessions)
        except Exception:  # a database hiccup must not end escalation for good
            log.exception("escalation check failed")
        await asyncio.sleep(every_s)
