"""The durable spool: a reading counts as received once committed here; it leaves only on ack.

Store-and-forward as a transaction: ``begin`` fixes the next batch (recorded in the outbox, so
a restart resends exactly that batch under the same id), ``commit`` deletes it once the
cloud acknowledged it. Batch ids are ``<incarnation>-<first seq>-<last seq>``: the
incarnation is drawn when the file is created and again when the cloud says an id was
stored with other contents (a file restored from an old copy). Every reading gets the next
per-gateway sequence number as it is committed; the cloud records each batch's range.

Readings are kept in chunks: one row per group appended together, with the columns packed
as arrays. One row per reading costs several microseconds to insert and delete; a chunk
costs a fraction of that per reading, which is most of a gateway's budget at high rates.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal, ParamSpec, TypeVar

from edge.forward.chunks import Chunk, Pending, Row, assemble, batch_end, pack
from edge.forward.spool_file import SpoolFile, SpoolInUse
from edge.forward.spool_outbox import AlarmQueue, DeadLetters
from kernel.contract import AlarmEvent

__all__ = ["Spool", "SpoolInUse"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY, asset TEXT NOT NULL, signal TEXT NOT NULL, UNIQUE (asset, signal));
CREATE TABLE IF NOT EXISTS chunks (
    first_seq INTEGER PRIMARY KEY, n INTEGER NOT NULL, spooled_at INTEGER NOT NULL,
    series BLOB NOT NULL, ts BLOB NOT NULL, value BLOB NOT NULL, quality BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    batch_id TEXT PRIMARY KEY, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS alarms (id INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dead_letter (
    batch_id TEXT PRIMARY KEY, status INTEGER, reason TEXT, batch TEXT, parked_at INTEGER);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""
P = ParamSpec("P")
T = TypeVar("T")


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
        timeout_s: float = 5.0,
    ) -> None:
        self._file = SpoolFile(path, _SCHEMA, synchronous, timeout_s)
        self._file.after_rollback = self._reload
        self._db = self._file.db
        self._lock = self._file.lock
        self._count = self._file.count
        self._counter = self._file.counter
        self.alarms = AlarmQueue(self._file)
        self.letters = DeadLetters(self._file)
        self.path = path
        self.gateway_id = gateway_id
        self.max_readings = max_readings
        self.max_age_ms = int(max_age_days * 86_400_000)
        self.overflow = overflow
        self.incarnation = 0
        self._reload()
        self.incarnation = self.incarnation or self._new_incarnation()

    def _new_incarnation(self) -> int:
        # Batch ids carry it: a spool file deleted or restored from an old copy numbers its
        # readings again from where that file stood, and must not reuse ids the cloud holds.
        value = secrets.randbits(48) or 1
        self._db.execute(
            "INSERT INTO counters VALUES ('incarnation', ?) "
            "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (value,),
        )
        return value

    def reincarnate(self, pending: Pending) -> None:
        """The cloud holds ``pending``'s id with other contents: resend under new ids."""
        with self._file.transaction():
            self.incarnation = self._new_incarnation()
            self._db.execute("DELETE FROM outbox WHERE batch_id = ?", (pending.batch.batch_id,))
            self._count("reincarnations", 1)

    def _reload(self) -> None:
        self._series = {
            (a, s): i for i, a, s in self._db.execute("SELECT id, asset, signal FROM series")
        }
        self._names = {i: k for k, i in self._series.items()}
        self.depth = int(self._db.execute("SELECT COALESCE(SUM(n), 0) FROM chunks").fetchone()[0])
        self.incarnation = self._counter("incarnation") or self.incarnation

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run one spool method on the spool's own thread."""
        return await self._file.run(fn, *args, **kwargs)

    def close(self) -> None:
        """Close the file (everything committed is already on disk)."""
        self._file.close()

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

    def counters(self) -> dict[str, int]:
        """Persistent counters (dropped readings by reason, parked readings, sequence)."""
        return self._file.counters()

    def last_seq(self) -> int:
        """The sequence number given to the newest reading so far (0 before the first)."""
        with self._lock:
            return self._counter("assigned_seq")

    def append(
        self, readings: Sequence[Row], alarms: list[AlarmEvent] | None = None
    ) -> tuple[int, int]:
        """Commit readings (asset, signal, ts_ms, value, quality) and alarm events at once.

        Returns (stored, dropped) after the overflow policy.
        """
        now = int(time.time() * 1000)
        with self._file.transaction():
            dropped = 0
            if self.overflow == "drop_newest" and len(readings) > self.max_readings - self.depth:
                keep = max(self.max_readings - self.depth, 0)
                dropped, readings = len(readings) - keep, readings[:keep]
            ids = self._series
            series = [ids.get((r[0], r[1])) or self._series_id(r[0], r[1]) for r in readings]
            first = self._counter("assigned_seq") + 1
            self._db.executemany(
                "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)",
                [c.row() for c in pack(readings, series, first, now)],
            )
            self._count("assigned_seq", len(readings))
            self.depth += len(readings)
            if self.overflow == "drop_oldest" and self.depth > self.max_readings:
                dropped += self._drop_oldest(self.depth - self.max_readings)
            if dropped:
                self._count(f"dropped_{self.overflow}", dropped)
            self.alarms.add(alarms or [])
        return len(readings), dropped

    def _after_outbox(self) -> int:
        row = self._db.execute("SELECT last_seq FROM outbox").fetchone()
        return int(row[0]) if row else 0

    def _drop_oldest(self, n: int) -> int:
        # Oldest first, never the batch in flight: the cloud may already hold it. A chunk that
        # straddles the cut is rewritten as the part kept before and the part kept after.
        after = self._after_outbox()
        dropped = 0
        rows = self._db.execute(
            "SELECT * FROM chunks WHERE first_seq + n - 1 > ? ORDER BY first_seq", (after,)
        ).fetchall()
        for row in rows:
            if dropped >= n:
                break
            c = Chunk.load(row)
            end = c.first_seq + c.n - 1
            start = max(c.first_seq, after + 1)
            k = min(n - dropped, end - start + 1)
            self._db.execute("DELETE FROM chunks WHERE first_seq = ?", (c.first_seq,))
            if start > c.first_seq:
                self._db.execute(
                    "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)", c.head(start - 1).row()
                )
            if start + k <= end:
                self._db.execute(
                    "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)", c.tail(start + k).row()
                )
            dropped += k
        self.depth -= dropped
        return dropped

    def expire(self) -> int:
        """Drop readings older than the age bound (counted); returns how many."""
        cutoff = int(time.time() * 1000) - self.max_age_ms
        with self._file.transaction():
            after = self._after_outbox()
            (n,) = self._db.execute(
                "SELECT COALESCE(SUM(n), 0) FROM chunks WHERE spooled_at < ? AND first_seq > ?",
                (cutoff, after),
            ).fetchone()
            self._db.execute(
                "DELETE FROM chunks WHERE spooled_at < ? AND first_seq > ?", (cutoff, after)
            )
            if n:
                self._count("dropped_age", n)
                self.depth -= n
        return int(n)

    def _chunks(self, first: int, last: int) -> list[Chunk]:
        # The chunk holding `first` may start before it (a partly committed chunk is rewritten
        # from its first unsent reading, so in practice it starts exactly there).
        rows = self._db.execute(
            "SELECT * FROM chunks WHERE first_seq <= ? AND first_seq + n > ? ORDER BY first_seq",
            (last, first),
        ).fetchall()
        return [Chunk.load(r) for r in rows]

    def begin(self, max_readings: int, up_to: int | None = None) -> Pending | None:
        """The batch to send next: the one in flight if any, else the oldest readings (none
        past sequence number ``up_to``: None when the oldest is past it)."""
        with self._lock:
            row = self._db.execute("SELECT batch_id, first_seq, last_seq FROM outbox").fetchone()
            if row is None:
                first_row = self._db.execute(
                    "SELECT first_seq FROM chunks ORDER BY first_seq LIMIT 1"
                ).fetchone()
                if first_row is None:
                    return None
                first = int(first_row[0])
                if up_to is not None and first > up_to:
                    return None
                sizes = self._db.execute(
                    "SELECT first_seq, n FROM chunks WHERE first_seq >= ? ORDER BY first_seq",
                    (first,),
                )
                last = batch_end(sizes, first, max_readings, up_to)
                batch_id = f"{self.incarnation:012x}-{first}-{last}"
                self._db.execute(
                    "INSERT INTO outbox (batch_id, first_seq, last_seq) VALUES (?, ?, ?)",
                    (batch_id, first, last),
                )
            else:
                batch_id, first, last = row
            self._db.execute("UPDATE outbox SET attempts = attempts + 1")
            chunks = self._chunks(first, last)
        batch, oldest = assemble(chunks, first, last, self.gateway_id, batch_id, self._names)
        return Pending(batch, first, last, oldest)

    def _remove(self, pending: Pending) -> int:
        """Delete the pending range (rewriting a partly covered chunk); returns readings removed."""
        removed = 0
        for c in self._chunks(pending.first_seq, pending.last_seq):
            self._db.execute("DELETE FROM chunks WHERE first_seq = ?", (c.first_seq,))
            end = c.first_seq + c.n - 1
            if end > pending.last_seq:
                self._db.execute(
                    "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)",
                    c.tail(pending.last_seq + 1).row(),
                )
                removed += pending.last_seq - c.first_seq + 1
            else:
                removed += c.n
        self._db.execute("DELETE FROM outbox WHERE batch_id = ?", (pending.batch.batch_id,))
        self.depth -= removed
        return removed

    def commit(self, pending: Pending) -> None:
        """The cloud has the batch: forget it."""
        with self._file.transaction():
            self._remove(pending)

    def park(self, pending: Pending, status: int, reason: str) -> None:
        """Move a batch the cloud refuses into the dead letters (kept, not resent)."""
        with self._file.transaction():
            self.letters.put(pending, status, reason)
            self._count("parked_readings", self._remove(pending))

    def release(self, pending: Pending) -> None:
        """Give up the in-flight batch boundary (the cloud stored none of it): re-cut later."""
        with self._file.transaction():
            self._db.execute("DELETE FROM outbox WHERE batch_id = ?", (pending.batch.batch_id,))

    def oldest_age_s(self) -> float:
        """Seconds since the oldest waiting reading was spooled (0 when empty)."""
        with self._lock:
            row = self._db.execute("SELECT MIN(spooled_at) FROM chunks").fetchone()
        return 0.0 if row[0] is None else max(0.0, time.time() - row[0] / 1000)
