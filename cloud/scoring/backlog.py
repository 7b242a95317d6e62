"""Which gateways delivered old readings (a backlog) since the scorer last looked.

Between full reads the scorer re-reads only each window's last hour, so readings older than
that (a gateway draining its spool after an outage, a history import) would wait for the
next full read. The ingested-batch log says which gateways sent such readings: their assets'
windows are read whole in the next rounds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from cloud import batch_records

# Batch ids come from a sequence and may commit out of order under concurrent ingest: each
# look goes back this many ids and skips the ones already seen.
LOOKBACK_IDS = 256
# A store may answer queries without readings it acknowledged a moment ago (VictoriaMetrics
# makes them searchable within a few seconds): a late gateway's windows are read whole in
# every round for this long (wall seconds) after its backlog was seen.
SETTLE_S = 15.0


@dataclass
class Backlog:
    """The scorer's cursor over the ingested-batch log, and the gateways still settling."""

    cursor: int | None = None
    seen: set[int] = field(default_factory=set)
    settling: dict[str, float] = field(default_factory=dict)  # gateway -> wall time seen
    wall: Callable[[], float] = time.monotonic

    def late(self, rows: list[tuple[int, str, datetime | None]], before: datetime) -> set[str]:
        """Gateways of unseen batches in ``rows`` with a reading older than ``before``, and
        those seen so less than ``SETTLE_S`` ago."""
        now = self.wall()
        for i, gateway, at in rows:
            if i not in self.seen and at is not None and at < before:
                self.settling[gateway] = now
        if rows:
            self.cursor = max(self.cursor or 0, rows[-1][0])
        self.seen |= {i for i, _, _ in rows}
        floor = (self.cursor or 0) - LOOKBACK_IDS
        self.seen = {i for i in self.seen if i > floor}
        self.settling = {g: t for g, t in self.settling.items() if now - t < SETTLE_S}
        return set(self.settling)

    def poll(self, session: Session, before: datetime) -> set[str]:
        """Read the log since the last look; the first look only sets the cursor (the first
        round reads every window whole anyway)."""
        if self.cursor is None:
            self.cursor = batch_records.last_batch_id(session)
            return set()
        return self.late(batch_records.batches_after(session, self.cursor - LOOKBACK_IDS), before)
