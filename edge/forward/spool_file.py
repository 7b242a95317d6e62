"""The spool's SQLite file: one connection (WAL, exclusive), the lock and the one thread its
statements run on, write transactions and the persistent counters. What the tables mean is
the business of the spool's parts; this module only keeps the file."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, ParamSpec, TypeVar

from kernel.files import create_private

P = ParamSpec("P")
T = TypeVar("T")


class SpoolInUse(RuntimeError):
    """Another process (a second gateway?) holds the spool file."""


def _nothing() -> None:
    return None


class SpoolFile:
    """One SQLite file owned by one process, created readable by its owner only."""

    def __init__(
        self,
        path: Path,
        schema: str,
        synchronous: Literal["full", "normal"] = "full",
        timeout_s: float = 5.0,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        create_private(path)
        self.path = path
        self.lock = threading.Lock()
        # Called after a failed transaction, so in-memory views are read again from disk.
        self.after_rollback: Callable[[], None] = _nothing
        # One thread for all of the spool's statements: the event loop never waits on a
        # commit, and one worker thread keeps the allocator to one extra arena.
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spool")
        self.db = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=timeout_s
        )
        # One process owns a spool: an exclusive lock saves the file-lock system calls of
        # every transaction (and keeps a second gateway from opening the same spool).
        self.db.execute("PRAGMA locking_mode=EXCLUSIVE")
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:
            self.db.close()
            self._io.shutdown()
            raise SpoolInUse(f"{path}: in use by another process ({exc})") from exc
        self.db.execute(f"PRAGMA synchronous={synchronous.upper()}")
        self.db.executescript(schema)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction under the lock. On any failure (a full disk, an I/O error)
        it is rolled back if SQLite has not already done so and ``after_rollback`` runs; the
        error goes to the caller."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:  # SQLite ends a transaction whose COMMIT failed
                    self.db.execute("ROLLBACK")
                self.after_rollback()
                raise

    def count(self, name: str, n: int) -> None:
        """Add ``n`` to a persistent counter (inside the caller's transaction)."""
        self.db.execute(
            "INSERT INTO counters VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET "
            "value = value + excluded.value",
            (name, n),
        )

    def counter(self, name: str) -> int:
        """A persistent counter's value (0 before its first count)."""
        row = self.db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row else 0

    def counters(self) -> dict[str, int]:
        """Every persistent counter."""
        with self.lock:
            return dict(self.db.execute("SELECT name, value FROM counters").fetchall())

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run one call on the file's own thread."""
        return await asyncio.get_running_loop().run_in_executor(
            self._io, lambda: fn(*args, **kwargs)
        )

    def close(self) -> None:
        """Close the file (everything committed is already on disk)."""
        self._io.shutdown(wait=True)
        with self.lock:
            self.db.close()
