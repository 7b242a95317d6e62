"""The spool's other tables: alarm events waiting for the cloud, and the dead letters (batches
the cloud refused, kept and never resent). They share the spool's file and transactions, so
an alarm event commits with the readings it came with."""

from __future__ import annotations

import json
import time

from edge.forward.chunks import Pending
from edge.forward.spool_file import SpoolFile
from kernel.contract import AlarmEvent


class AlarmQueue:
    """Alarm events not yet acknowledged by the cloud, oldest first."""

    def __init__(self, file: SpoolFile) -> None:
        self._file = file

    def add(self, events: list[AlarmEvent]) -> None:
        """Queue alarm events (inside the caller's transaction)."""
        self._file.db.executemany(
            "INSERT INTO alarms (event) VALUES (?)", [(e.model_dump_json(),) for e in events]
        )

    def pending(self, limit: int = 500) -> list[tuple[int, AlarmEvent]]:
        """Alarm events not yet acknowledged, oldest first."""
        with self._file.lock:
            rows = self._file.db.execute(
                "SELECT id, event FROM alarms ORDER BY id LIMIT ?", (limit,)
            ).fetchall()
        return [(i, AlarmEvent.model_validate(json.loads(e))) for i, e in rows]

    def ack(self, ids: list[int]) -> None:
        """Forget acknowledged alarm events."""
        with self._file.transaction():
            self._file.db.executemany("DELETE FROM alarms WHERE id = ?", [(i,) for i in ids])


class DeadLetters:
    """Batches the cloud refused: kept whole with its answer, never resent."""

    def __init__(self, file: SpoolFile) -> None:
        self._file = file

    def put(self, pending: Pending, status: int, reason: str) -> None:
        """Keep a refused batch (inside the caller's transaction)."""
        self._file.db.execute(
            "INSERT OR REPLACE INTO dead_letter VALUES (?, ?, ?, ?, ?)",
            (
                pending.batch.batch_id,
                status,
                reason,
                pending.batch.model_dump_json(),
                int(time.time() * 1000),
            ),
        )

    def listed(self) -> list[tuple[str, int, str]]:
        """Parked batches: (batch id, HTTP status, reason)."""
        with self._file.lock:
            rows = self._file.db.execute("SELECT batch_id, status, reason FROM dead_letter")
            return rows.fetchall()
