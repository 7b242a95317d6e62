"""SQLite's write-ahead log, switched on safely when several processes open one new file."""

from __future__ import annotations

import sqlite3
import time

_RETRY_S = 0.05


def enable_wal(conn: sqlite3.Connection, timeout_s: float = 30.0) -> None:
    """Put ``conn``'s database in WAL mode, waiting up to ``timeout_s`` for another process.

    Two connections changing a new file's journal mode together get "database is locked" at
    once: SQLite does not call its busy handler for that change, so the wait is done here.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(_RETRY_S)
