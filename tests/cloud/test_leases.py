"""Run-once work with several workers: one holds the checker's lease, another takes over when
it dies, and no order is made twice (real PostgreSQL, real worker processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud import crud
from cloud.db import make_engine, migrate
from cloud.leases import Lease
from cloud.tables import LeaseRow, WorkOrderRow
from cloud.workorders.pm_rules import PmRule
from cloud.workorders.preventive import set_plan
from kernel.contract import Manifest
from simulators.config import synthetic_fleet
from simulators.engine import Simulation
from tests.cloud.conftest import fresh_database
from tests.servers import Process

LEASE_S = 2.0


def test_a_lease_is_held_renewed_and_taken_over_once_expired(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/l.db"
    migrate(url)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    a, b = Lease("checker", 10, "host:1"), Lease("checker", 10, "host:2")
    with Session(make_engine(url)) as s:
        assert a.hold(s, now) and not b.hold(s, now + timedelta(seconds=1))
        assert a.hold(s, now + timedelta(seconds=9))  # renewed
        assert not b.hold(s, now + timedelta(seconds=18))
        assert b.hold(s, now + timedelta(seconds=20)) and not a.hold(s, now + timedelta(seconds=21))


def _holder(engine: object) -> str | None:
    with Session(engine) as s:  # type: ignore[call-overload]
        row = s.get(LeaseRow, "checker")
        return None if row is None else row.holder


def _worker(url: str, tmp_path: Path, log: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "PLANTWATCH_DATABASE_URL": url,
        "PLANTWATCH_EMBEDDED_TSDB_PATH": str(tmp_path / "ts.db"),
        "PLANTWATCH_ESCALATION_CHECK_S": "0.2",
        "PLANTWATCH_CHECKER_LEASE_S": str(LEASE_S),
    }
    cmd = [sys.executable, "-m", "plantwatch.cli", "cloud", "worker", "--no-scorer"]
    return subprocess.Popen(cmd, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _wait(check, seconds: float, log: Path) -> float:  # type: ignore[no-untyped-def]
    began = time.monotonic()
    while not check():
        assert time.monotonic() - began < seconds, (
            "timed out; the workers' log:\n" + (log.read_text()[-3000:])
        )
        time.sleep(0.1)
    return time.monotonic() - began


def test_one_of_two_workers_acts_and_the_other_takes_over(
    pg_server: Process, tmp_path: Path
) -> None:
    url = fresh_database(pg_server)
    migrate(url)
    engine = make_engine(url)
    sim = Simulation(synthetic_fleet(6, seed=3), horizon_days=1)
    cls = sim.assets[0].asset_class
    with Session(engine) as s:
        gw = crud.create_gateway(s, "gw-l")
        manifest = Manifest(
            gateway_id="gw-l", generated_at=datetime.now(UTC), assets=[a.info() for a in sim.assets]
        )
        crud.apply_manifest(s, gw, manifest)
        set_plan(s, [PmRule(cls, "Inspect", every_days=7)], datetime.now(UTC) - timedelta(days=8))
    due = sum(1 for a in sim.assets if a.asset_class == cls)
    log = tmp_path / "workers.log"
    workers = [_worker(url, tmp_path, log) for _ in range(2)]
    try:
        _wait(lambda: _holder(engine) is not None, 30, log)
        with Session(engine) as s:
            _wait(lambda: s.scalar(select(func.count(WorkOrderRow.id))) == due, 30, log)
        holder = _holder(engine)
        assert holder is not None
        first = next(w for w in workers if holder.endswith(f":{w.pid}"))
        other = next(w for w in workers if w is not first)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        took = _wait(lambda: _holder(engine) == holder.rsplit(":", 1)[0] + f":{other.pid}", 30, log)
        print(f"the standby worker took over {took:.1f} s after the holder died")
        assert took < LEASE_S + 2.0
        time.sleep(1.0)  # the new holder checks again: the plan's orders exist, none is added
        with Session(engine) as s:
            orders = list(s.scalars(select(WorkOrderRow)))
        assert len(orders) == due and len({o.asset_id for o in orders}) == due
    finally:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
                w.wait(20)
    assert other.returncode == 0, log.read_text()[-2000:]
