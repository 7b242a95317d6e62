"""The durable spool: a reading counts as received once committed here; it leaves only on ack.

Store-and-forward as a transaction: ``begin`` fixes the next batch (recorded in the outbox, so
a restart resends exactly that batch under the same id), ``commit`` deletes it once the
cloud acknowledged it. The sequence number of a reading is its row id (AUTOINCREMENT: never
reused), which the cloud records per batch.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from plantwatch.contract import AlarmEvent, Batch

_SCHEMA = """
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY, asset TEXT NOT NULL, signal TEXT NOT NULL, UNIQUE (asset, signal));
CREATE TABLE IF NOT EXISTS readings (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, series INTEGER NOT NULL, ts INTEGER NOT NULL,
    value REAL, quality INTEGER NOT NULL, spooled_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    batch_id TEXT PRIMARY KEY, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS alarms (id INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dead_letter (
    batch_id TEXT PRIMARY KEY, status INTEGER, reason TEXT, batch TEXT, parked_at INTEGER);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class Pending:
    """A batch taken from the spool and not yet acknowledged."""

    batch: Batch
    first_seq: int
    last_seq: int
    oldest_spooled_ms: int


class Spool:
    """Readings and alarm events waiting for the cloud, in one SQLite file (WAL)."""

    def __init__(
        self,
        path: Path,
        gateway_id: str,
        max_readings: int,
        max_age_days: float,
        overflow: Literal["drop_oldest", "drop_newest"],
        synchronous: Literal["full", "normal"] = "full",
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.gateway_id = gateway_id
        self.max_readings = max_readings
        self.max_age_ms = int(max_age_days * 86_400_000)
        self.overflow = overflow
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={synchronous.upper()}")
        self._db.executescript(_SCHEMA)
        self._series = {
            (a, s): i for i, a, s in self._db.execute("SELECT id, asset, signal FROM series")
        }
        self._names = {i: k for k, i in self._series.items()}
        self.depth = self._db.execute("SELECT COUNT(*) FROM readings").fetchone()[0]

    def close(self) -> None:
        """Close the file (everything committed is already on disk)."""
        with self._lock:
            self._db.close()

    def _series_id(self, asset: str, signal: str) -> int:
        sid = self._series.get((asset, signal))
        if sid is None:
            self._db.execute(
                "INSERT OR IGNORE INTO series (asset, signal) VALUES (?, ?)", (asset, signal)
            )
            (sid,) = self._db.execute(
                "SELECT id FROM series WHERE asset = ? AND signal = ?", (asset, signal)
            ).fetchone()
            self._series[(asset, signal)] = sid
            self._names[sid] = (asset, signal)
        return int(sid)

    def _count(self, name: str, n: int) -> None:
        self._db.execute(
            "INSERT INTO counters VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET "
            "value = value + excluded.value",
            (name, n),
        )

    def counters(self) -> dict[str, int]:
        """Persistent counters (dropped readings by reason, parked batches)."""
        with self._lock:
            return dict(self._db.execute("SELECT name, value FROM counters").fetchall())

    def append(
        self,
        readings: list[tuple[str, str, int, float | None, int]],
        alarms: list[AlarmEvent] | None = None,
    ) -> tuple[int, int]:
        """Commit readings (asset, signal, ts_ms, value, quality) and alarm events at once.

        Returns (stored, dropped) after the overflow policy.
        """
        now = int(time.time() * 1000)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                room = self.max_readings - self.depth
                dropped = 0
                if self.overflow == "drop_newest" and len(readings) > room:
                    dropped = len(readings) - max(room, 0)
                    readings = readings[: max(room, 0)]
                ids = self._series
                rows = [
                    (ids.get((a, s)) or self._series_id(a, s), t, v, q, now)
                    for a, s, t, v, q in readings
                ]
                self._db.executemany(
                    "INSERT INTO readings (series, ts, value, quality, "
                    "spooled_at) VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
                self.depth += len(rows)
                if self.overflow == "drop_oldest" and self.depth > self.max_readings:
                    dropped += self._drop_oldest(self.depth - self.max_readings)
                if dropped:
                    self._count(f"dropped_{self.overflow}", dropped)
                for event in alarms or ():
                    self._db.execute(
                        "INSERT INTO alarms (event) VALUES (?)", (event.model_dump_json(),)
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                self.depth = self._db.execute("SELECT COUNT(*) FROM readings").fetchone()[0]
                raise
        return len(rows), dropped

    def _drop_oldest(self, n: int) -> int:
        # Never the batch in flight: the cloud may already hold it.
        row = self._db.execute("SELECT last_seq FROM outbox").fetchone()
        after = row[0] if row else 0
        cur = self._db.execute(
            "DELETE FROM readings WHERE seq IN (SELECT seq FROM readings "
            "WHERE seq > ? ORDER BY seq LIMIT ?)",
            (after, n),
        )
        self.depth -= cur.rowcount
        return cur.rowcount

    def expire(self) -> int:
        """Drop readings older than the age bound (counted); returns how many."""
        cutoff = int(time.time() * 1000) - self.max_age_ms
        with self._lock:
            row = self._db.execute("SELECT last_seq FROM outbox").fetchone()
            cur = self._db.execute(
                "DELETE FROM readings WHERE spooled_at < ? AND seq > ?",
                (cutoff, row[0] if row else 0),
            )
            if cur.rowcount:
                self._count("dropped_age", cur.rowcount)
                self.depth -= cur.rowcount
        return cur.rowcount

    def begin(self, max_readings: int) -> Pending | None:
        """The batch to send next: the one in flight if any, else the oldest readings."""
        with self._lock:
            row = self._db.execute("SELECT batch_id, first_seq, last_seq FROM outbox").fetchone()
            if row is None:
                seqs = self._db.execute(
                    "SELECT seq FROM readings ORDER BY seq LIMIT ?", (max_readings,)
                ).fetchall()
                if not seqs:
                    return None
                first, last = seqs[0][0], seqs[-1][0]
                batch_id = f"{self.gateway_id}-{first}-{last}"
                self._db.execute(
                    "INSERT INTO outbox (batch_id, first_seq, last_seq) VALUES (?, ?, ?)",
                    (batch_id, first, last),
                )
            else:
                batch_id, first, last = row
            self._db.execute("UPDATE outbox SET attempts = attempts + 1")
            rows = self._db.execute(
                "SELECT seq, series, ts, value, quality, spooled_at FROM readings "
                "WHERE seq BETWEEN ? AND ? ORDER BY seq",
                (first, last),
            ).fetchall()
        keys: dict[int, int] = {}
        index = [keys.setdefault(r[1], len(keys)) for r in rows]
        # Built from rows this gateway validated on the way in: no second validation pass.
        batch = Batch.model_construct(
            gateway_id=self.gateway_id,
            batch_id=batch_id,
            series=[self._names[sid] for sid in keys],
            index=index,
            ts=[r[2] for r in rows],
            value=[r[3] for r in rows],
            quality=[r[4] for r in rows],
            seq=[r[0] for r in rows],
        )
        oldest = min((r[5] for r in rows), default=int(time.time() * 1000))
        return Pending(batch, first, last, oldest)

    def commit(self, pending: Pending) -> None:
        """The cloud has the batch: forget it."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            cur = self._db.execute(
                "DELETE FROM readings WHERE seq BETWEEN ? AND ?",
                (pending.first_seq, pending.last_seq),
            )
            self._db.execute("DELETE FROM outbox WHERE batch_id = ?", (pending.batch.batch_id,))
            self._db.execute("COMMIT")
            self.depth -= cur.rowcount

    def release(self, pending: Pending) -> None:
        """Give up the in-flight batch boundary (the cloud stored none of it): re-cut later."""
        with self._lock:
            self._db.execute("DELETE FROM outbox WHERE batch_id = ?", (pending.batch.batch_id,))

    def park(self, pending: Pending, status: int, reason: str) -> None:
        """Move a batch the cloud refuses into the dead-letter table (kept, not resent)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
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
            cur = self._db.execute(
                "DELETE FROM readings WHERE seq BETWEEN ? AND ?",
                (pending.first_seq, pending.last_seq),
            )
            self._db.execute("DELETE FROM outbox WHERE batch_id = ?", (pending.batch.batch_id,))
            self._count("parked_readings", cur.rowcount)
            self._db.execute("COMMIT")
            self.depth -= cur.rowcount

    def oldest_age_s(self) -> float:
        """Seconds since the oldest waiting reading was spooled (0 when empty)."""
        with self._lock:
            row = self._db.execute("SELECT MIN(spooled_at) FROM readings").fetchone()
        return 0.0 if row[0] is None else max(0.0, time.time() - row[0] / 1000)

    def pending_alarms(self, limit: int = 500) -> list[tuple[int, AlarmEvent]]:
        """Alarm events not yet acknowledged, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, event FROM alarms ORDER BY id LIMIT ?", (limit,)
            ).fetchall()
        return [(i, AlarmEvent.model_validate(json.loads(e))) for i, e in rows]

    def ack_alarms(self, ids: list[int]) -> None:
        """Forget acknowledged alarm events."""
        with self._lock:
            self._db.executemany("DELETE FROM alarms WHERE id = ?", [(i,) for i in ids])

    def dead_letters(self) -> list[tuple[str, int, str]]:
        """Parked batches: (batch id, HTTP status, reason)."""
        with self._lock:
            return self._db.execute("SELECT batch_id, status, reason FROM dead_letter").fetchall()
