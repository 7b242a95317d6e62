"""Several processes opening one new SQLite file in WAL mode at once all get it."""

from __future__ import annotations

import multiprocessing
import sqlite3
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path

from kernel.files import create_private
from kernel.sqlite_wal import enable_wal

ROUNDS = 60


def _open(path: str, go: Event, results: Queue[str]) -> None:
    try:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        go.wait(10)
        enable_wal(conn)
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        conn.executescript(
            "CREATE TABLE IF NOT EXISTS a (x INTEGER); CREATE TABLE IF NOT EXISTS b (x INTEGER);"
            "CREATE INDEX IF NOT EXISTS ax ON a (x); CREATE INDEX IF NOT EXISTS bx ON b (x);"
        )
        conn.close()
        results.put(mode)
    except sqlite3.Error as exc:
        results.put(repr(exc))


def test_two_processes_switch_one_new_file_to_wal_together(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    outcomes: list[str] = []
    for n in range(ROUNDS):
        results: Queue[str] = ctx.Queue()
        path = str(tmp_path / f"{n}.db")
        create_private(Path(path))  # as every store does: the empty file first, mode 0600
        go = ctx.Event()
        procs = [ctx.Process(target=_open, args=(path, go, results)) for _ in range(2)]
        for p in procs:
            p.start()
        go.set()  # both processes switch the new file's mode at the same moment
        for p in procs:
            p.join(60)
        outcomes += [results.get(timeout=10) for _ in procs]
    assert outcomes == ["wal"] * (2 * ROUNDS)
