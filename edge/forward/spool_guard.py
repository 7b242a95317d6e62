"""What the gateway does when its spool cannot be written (a full disk, an I/O error).

It stays up. Readings it cannot commit are dropped and counted (``dropped{reason=
"spool_unwritable"}``: the explicit policy), local alarms keep being raised, and their events
wait in memory (bounded) with the gateway's own alarm about its spool; every later append
tries again, and the first that commits brings them along and clears the alarm. Nothing
already committed is touched.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections import deque
from collections.abc import Sequence

from edge.forward.chunks import Row
from edge.forward.spool import Spool
from edge.metrics import EdgeMetrics
from kernel.contract import AlarmEvent

log = logging.getLogger("plantwatch.edge.spool")
MAX_HELD_ALARMS = 1000
RULE = "gateway-spool-unwritable"


class SpoolGuard:
    """Appends to the spool; a failed append is counted and the gateway carries on."""

    def __init__(self, spool: Spool, gateway_id: str, metrics: EdgeMetrics) -> None:
        self.spool = spool
        self.gateway_id = gateway_id
        self.metrics = metrics
        self.error: str | None = None
        self.unwritable_since: float | None = None
        self._held: deque[AlarmEvent] = deque(maxlen=MAX_HELD_ALARMS)
        self.metrics.spool_writable.set(1)

    async def append(self, readings: Sequence[Row], events: list[AlarmEvent]) -> int:
        """Commit readings and alarm events; returns the readings stored (0 when unwritable)."""
        held = [*self._held, *events]
        if self.error is not None:
            held.append(self._alarm("cleared", "the spool is writable again"))
        try:
            stored, dropped = await self.spool.run(self.spool.append, readings, held)
        except sqlite3.Error as exc:
            self._failed(len(readings), events, exc)
            return 0
        self._held.clear()
        if self.error is not None:
            log.warning(
                "spool writable again after %.0f s", time.time() - (self.unwritable_since or 0)
            )
            self.error, self.unwritable_since = None, None
            self.metrics.spool_writable.set(1)
        self.metrics.spooled.inc(stored)
        if dropped:
            self.metrics.dropped.labels(self.spool.overflow).inc(dropped)
        return stored

    def _failed(self, lost: int, events: list[AlarmEvent], exc: sqlite3.Error) -> None:
        self.metrics.dropped.labels("spool_unwritable").inc(lost)
        self._held.extend(events)
        if self.error is None:
            self.error, self.unwritable_since = f"{type(exc).__name__}: {exc}", time.time()
            self.metrics.spool_writable.set(0)
            self._held.append(self._alarm("raised", f"the spool cannot be written: {exc}"))
            log.error(
                "spool %s cannot be written (%s): readings are dropped and counted until it can",
                self.spool.path,
                exc,
            )
        else:
            log.debug("spool still unwritable: %d reading(s) dropped", lost)

    def _alarm(self, state: str, message: str) -> AlarmEvent:
        now = int(time.time() * 1000)
        return AlarmEvent(
            gateway_id=self.gateway_id,
            event_id=f"{RULE}-{state}-{now}",
            rule=RULE,
            asset=self.gateway_id,
            signal="spool_writable",
            state="raised" if state == "raised" else "cleared",
            severity="critical",
            ts_ms=now,
            value=0.0 if state == "raised" else 1.0,
            threshold=1.0,
            message=message[:500],
        )
