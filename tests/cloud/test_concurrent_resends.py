"""Two requests writing the same rows at once (a gateway killed mid-request sends its alarm
events or its manifest again while the first is still with the cloud) store them once, and
neither fails (real PostgreSQL and SQLite)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from cloud import crud
from cloud.db import make_engine, migrate, session_factory
from cloud.tables import AlarmEventRow, Asset, Gateway, WorkOrderRow
from cloud.workorders.sources import orders_for_alarms
from kernel.contract import AlarmEvent, Manifest
from simulators.config import synthetic_fleet
from simulators.engine import Simulation
from tests.cloud.conftest import fresh_database

EVENTS = 5


def alarm(n: int) -> AlarmEvent:
    """One raised alarm of gateway ``gw``."""
    return AlarmEvent(
        gateway_id="gw",
        event_id=f"e{n}",
        rule="high",
        asset="ahu-1",
        signal="temp",
        state="raised",
        severity="warning",
        ts_ms=1_700_000_000_000 + n,
        value=30.0,
        threshold=28.0,
        message="hot",
    )


@contextmanager
def session_on(url: str) -> Iterator[Session]:
    """One session on its own engine, disposed afterwards."""
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database holding gateway ``gw``."""
    if request.param == "sqlite":
        db_url = f"sqlite:///{tmp_path / 'registry.db'}"
    else:
        db_url = fresh_database(request.getfixturevalue("pg_server"))
    migrate(db_url)
    with session_on(db_url) as session:
        crud.create_gateway(session, "gw")
    yield db_url


def both_at_once(
    url: str, write: Callable[[Session], int], held_s: float | None = None
) -> list[int]:
    """Run ``write`` in two sessions whose first flushes wait until both have read; with
    ``held_s``, a session goes on after that long (the other may be held by a lock)."""
    engine = make_engine(url)
    factory = session_factory(engine)
    both_looked = threading.Barrier(2, timeout=held_s or 30)
    waited: set[int] = set()

    def hold_first_flush(session: Session, *_: Any) -> None:
        # Both requests have read what is stored before either writes: the race.
        if session.info["n"] not in waited:
            waited.add(session.info["n"])
            try:
                both_looked.wait()
            except threading.BrokenBarrierError:
                if held_s is None:
                    raise

    def run(n: int) -> int:
        with factory() as session:
            session.info["n"] = n
            event.listen(session, "before_flush", hold_first_flush)
            return write(session)

    try:
        with ThreadPoolExecutor(2) as pool:
            return sorted(pool.map(run, [0, 1]))
    finally:
        engine.dispose()


def count(url: str, table: type[Any]) -> int:
    """Rows in ``table``."""
    with session_on(url) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_a_concurrent_resend_stores_each_event_once(url: str) -> None:
    def store(session: Session) -> int:
        gateway = crud.get_gateway(session, "gw")
        events = [alarm(i) for i in range(EVENTS)]
        return len(crud.record_alarm_events(session, gateway, events))

    assert both_at_once(url, store) == [0, EVENTS]
    assert count(url, AlarmEventRow) == EVENTS


MANIFEST = Manifest(
    gateway_id="gw",
    generated_at=datetime(2026, 1, 1, tzinfo=UTC),
    assets=[a.info() for a in Simulation(synthetic_fleet(3, seed=4), horizon_days=1).assets],
)


def apply_manifest(session: Session) -> int:
    """Apply ``MANIFEST`` as gateway ``gw``; returns how many assets it holds."""
    return crud.apply_manifest(session, crud.get_gateway(session, "gw"), MANIFEST)[0]


def manifest_version(url: str) -> int:
    """Gateway ``gw``'s manifest version."""
    with session_on(url) as session:
        gateway = session.get(Gateway, "gw")
        assert gateway is not None
        return gateway.manifest_version


def test_two_manifests_at_once_both_apply_and_both_count(url: str) -> None:
    assert both_at_once(url, apply_manifest) == [3, 3]
    assert count(url, Asset) == 3
    assert manifest_version(url) == 2


def test_two_manifests_updating_the_same_assets_at_once_both_count(url: str) -> None:
    with session_on(url) as session:
        apply_manifest(session)
    assert both_at_once(url, apply_manifest) == [3, 3]
    assert manifest_version(url) == 3  # the second of the two read 1 before the first wrote 2


def test_two_alarms_of_one_asset_at_once_open_one_order(url: str) -> None:
    asset = MANIFEST.assets[0].id
    with session_on(url) as session:
        apply_manifest(session)
        raised = [alarm(n).model_copy(update={"asset": asset}) for n in (1, 2)]
        rows = crud.record_alarm_events(session, crud.get_gateway(session, "gw"), raised)
        ids = [r.id for r in rows]

    def open_orders(session: Session) -> int:
        row = session.get(AlarmEventRow, ids[session.info["n"]])
        assert row is not None
        return len(orders_for_alarms(session, [row], datetime.now(UTC)))

    # The second request waits for the first's order and finds it (or, without the asset
    # held, both find none, meet at their first write and both open one).
    assert both_at_once(url, open_orders, held_s=2.0) == [0, 1]
    assert count(url, WorkOrderRow) == 1
