"""Processes started together on a new database (the API and its workers at boot) migrate it
once between them, and every one of them starts (real SQLite and PostgreSQL); the lock
that makes them wait leaves SQLite's own locks alone."""

from __future__ import annotations

import fcntl
import multiprocessing
import sqlite3
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path

from sqlalchemy import inspect

from cloud.db import make_engine, migrate
from tests.cloud.conftest import fresh_database
from tests.servers import Process

PROCESSES = 4


def _migrate(url: str, go: Event, results: Queue[str]) -> None:
    go.wait(30)
    try:
        migrate(url)
        results.put("ok")
    except Exception as exc:  # the outcome is the test's: report it, whatever it is
        results.put(f"{type(exc).__name__}: {exc}"[:300])


def _all_migrate(url: str) -> list[str]:
    ctx = multiprocessing.get_context("fork")
    go, results = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_migrate, args=(url, go, results)) for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    go.set()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    return outcomes


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_processes_migrate_one_new_postgres_database_together(pg_server: Process) -> None:
    url = fresh_database(pg_server)
    assert _all_migrate(url) == ["ok"] * PROCESSES
    assert {"alembic_version", "work_orders", "leases"} <= _tables(url)


def test_processes_migrate_one_new_sqlite_file_together(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/registry.db"
    assert _all_migrate(url) == ["ok"] * PROCESSES
    assert {"alembic_version", "work_orders", "leases"} <= _tables(url)


# SQLite's shared-lock byte range (the file format's lock-byte page; os.h SHARED_FIRST/SIZE)
SHARED_FIRST, SHARED_SIZE = 0x40000000 + 2, 510


def _shared_lock(path: str, results: Queue[str]) -> None:
    with open(path, "rb+") as f:  # this process's own descriptor: its close drops its locks
        try:
            fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB, SHARED_SIZE, SHARED_FIRST, 0)
            results.put("free")
        except OSError:
            results.put("held")


def _probe(path: Path) -> str:
    ctx = multiprocessing.get_context("fork")
    results: Queue[str] = ctx.Queue()
    child = ctx.Process(target=_shared_lock, args=(str(path), results))
    child.start()
    outcome = results.get(timeout=30)
    child.join(30)
    return outcome


def test_migrating_keeps_the_locks_of_this_process_open_connections(tmp_path: Path) -> None:
    """A connection the process holds open keeps its lock on the file through a migration.
    Closing any descriptor of the file would drop it (POSIX locks belong to the process),
    and SQLite, seeing no reader, may then delete the log under that connection."""
    path = tmp_path / "registry.db"
    migrate(f"sqlite:///{path}")
    held_open = sqlite3.connect(path, isolation_level=None)
    try:
        held_open.execute("SELECT count(*) FROM leases").fetchone()
        assert _probe(path) == "held"
        migrate(f"sqlite:///{path}")  # current already: the lock is taken, nothing changes
        assert _probe(path) == "held"
    finally:
        held_open.close()
