"""Two requests storing the same alarm events at once (a gateway killed mid-request sends
them again while the first is still with the cloud) store them once, and neither fails
(real PostgreSQL and SQLite)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from cloud import crud
from cloud.db import make_engine, migrate, session_factory
from cloud.tables import AlarmEventRow
from kernel.contract import AlarmEvent
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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database holding gateway ``gw``."""
    if request.param == "sqlite":
        db_url = f"sqlite:///{tmp_path / 'registry.db'}"
    else:
        db_url = fresh_database(request.getfixturevalue("pg_server"))
    migrate(db_url)
    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        crud.create_gateway(session, "gw")
    engine.dispose()
    yield db_url


def test_a_concurrent_resend_stores_each_event_once(url: str) -> None:
    engine = make_engine(url)
    factory = session_factory(engine)
    both_looked = threading.Barrier(2, timeout=30)
    waited: set[int] = set()

    def hold_first_flush(session: Session, *_: Any) -> None:
        # Both requests have found the events unseen before either writes: the race.
        if session.info["n"] not in waited:
            waited.add(session.info["n"])
            both_looked.wait()

    def store(n: int) -> int:
        with factory() as session:
            session.info["n"] = n
            event.listen(session, "before_flush", hold_first_flush)
            gateway = crud.get_gateway(session, "gw")
            events = [alarm(i) for i in range(EVENTS)]
            return len(crud.record_alarm_events(session, gateway, events))

    with ThreadPoolExecutor(2) as pool:
        stored = sorted(pool.map(store, [0, 1]))
    with factory() as session:
        rows = session.scalar(select(func.count()).select_from(AlarmEventRow))
    engine.dispose()
    assert stored == [0, EVENTS]
    assert rows == EVENTS
