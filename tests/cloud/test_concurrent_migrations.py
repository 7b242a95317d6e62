"""Processes started together on a new database (the API and its workers at boot) migrate it
once between them, and every one of them starts (real SQLite and PostgreSQL)."""

from __future__ import annotations

import multiprocessing
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
