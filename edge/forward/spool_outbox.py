"""The spool's other tables: alarm events waiting for the cloud, and the dead letters (batches
the cloud refused, kept and never resent). They share the spool's file and transactions, so
an alarm event commits with the readings it came with."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import AbstractContextManager

from edge.forward.chunks import Pending
from kernel.contract import AlarmEvent


class SpoolOutbox:
    """Alarm events and dead letters of a spool (mixed into ``Spool``, which owns the file)."""

    _db: sqlite3.Connection
    _lock: threading.Lock

    def _transaction(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    def _remove(self, pending: Pending) -> int:
        raise NotImplementedError

    def _count(self, name: str, n: int) -> None:
        raise NotImplementedError

    def _add_alarms(self, events: list[AlarmEvent]) -> None:
        """Queue alarm events (inside the caller's transaction)."""
        self._db.executemany(
            "INSERT INTO alarms (event) VALUES (?)", [(e.model_dump_json(),) for e in events]
        )

    def pending_alarms(self, limit: int = 500) -> list[tuple[int, AlarmEvent]]:
        """Alarm events not yet acknowledged, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, event FROM alarms ORDER BY id LIMIT ?", (limit,)
            ).fetchall()
        return [(i, AlarmEvent.model_validate(json.loads(e))) for i, e in rows]

    def ack_alarms(self, ids: list[int]) -> None:
        """Forget acknowledged alarm events."""
        with self._transaction():
            self._db.executemany("DELETE FROM alarms WHERE id = ?", [(i,) for i in ids])

    def park(self, pending: Pending, status: int, reason: str) -> None:
        """Move a batch the cloud refuses into the dead-letter table (kept, not resent)."""
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO dead_letter VALUES (?, ?, ?, ?, ?)",
                (
                    pending.batch.batch_id,
                    status,
                    reason,
                    pending.batch.model_dump_json(),
                    int(time.time() * 1000),
                ),
            )
            self._count("parked_readings", self._remove(pending))

    def dead_letters(self) -> list[tuple[str, int, str]]:
        """Parked batches: (batch id, HTTP status, reason)."""
        with self._lock:
            return self._db.execute("SELECT batch_id, status, reason FROM dead_letter").fetchall()
