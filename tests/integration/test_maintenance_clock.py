"""On the simulated clock, end to end: the catalogue's plan inspects an elevator older than
five years every Monday and a younger one monthly, and repairs costing over 30 % of an
asset's value make it a replacement candidate (API and the dashboards' table)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud import crud
from cloud.db import make_engine, migrate
from cloud.register import records
from cloud.security import Role
from cloud.tables import LifecycleRow, WorkOrderRow
from cloud.workorders.preventive import default_rules, set_plan
from tests.cloud.conftest import SECRET
from tests.servers import cloud_server

pytestmark = pytest.mark.integration

ORIGIN = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday, midnight
DAYS_PER_S = 3.0
ROW = {
    "site": "east",
    "building": "tower",
    "room": "lift-room",
    "class": "elevator",
    "model": "liftcon-lc300",
    "currency": "CNY",
    "criticality": "high",
}


def _registry(db: str) -> str:
    migrate(db)
    with Session(make_engine(db)) as s:
        rows = [
            (2, {**ROW, "id": "lift-old", "install_date": "2015-06-01", "purchase_value": 10_000}),
            (3, {**ROW, "id": "lift-new", "install_date": "2024-06-01", "purchase_value": 90_000}),
        ]
        report = records.import_sheet(s, rows)
        assert (report.created, report.refused_rows) == (2, 0)
        set_plan(s, default_rules(), ORIGIN)
        return crud.create_api_key(s, SECRET, "admin", Role.ADMIN)[1]


def _orders(db: str) -> list[WorkOrderRow]:
    with Session(make_engine(db)) as s:
        return list(s.scalars(select(WorkOrderRow).order_by(WorkOrderRow.id)))


def test_weekly_inspections_and_the_replacement_rule_on_the_simulated_clock(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path}/pw.db"
    key = _registry(db)
    wall0 = time.time() + 6  # the simulated clock starts once the service is surely up
    env = {
        "PLANTWATCH_SECRET_KEY": SECRET,
        "PLANTWATCH_DATABASE_URL": db,
        "PLANTWATCH_EMBEDDED_TSDB_PATH": str(tmp_path / "ts.db"),
        "PLANTWATCH_CLOCK_SIM_ORIGIN": str(ORIGIN.timestamp()),
        "PLANTWATCH_CLOCK_WALL_ORIGIN": str(wall0),
        "PLANTWATCH_CLOCK_SPEED": str(DAYS_PER_S * 86400),
        "PLANTWATCH_ESCALATION_CHECK_S": "0.1",
        "PLANTWATCH_CHECKER_LEASE_S": "2",
        "PLANTWATCH_LABOUR_RATE_PER_H": "100",
    }
    weeks = 5
    with cloud_server(env, tmp_path) as server:
        until = wall0 + (weeks * 7 - 0.5) / DAYS_PER_S
        while time.time() < until:  # bounded: five simulated weeks, less half a day
            time.sleep(0.5)
        planned = [o for o in _orders(db) if o.source == "preventive"]
        auth = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=server.url, headers=auth, timeout=10) as api:
            for parts in (1_800.0, 1_400.0):  # two repairs, 3,200 + labour of 10,000
                body = {"asset_id": "lift-old", "fault": "door", "title": "Doors stick"}
                order = api.post("/api/v1/work-orders", json=body).json()
                for step in (
                    {"action": "dispatch", "assignee": "carl"},
                    {"action": "acknowledge"},
                    {"action": "arrive"},
                    {"action": "start"},
                    {
                        "action": "complete",
                        "problem": "FTF",
                        "cause": "2.4",
                        "remedy": "repair",
                        "outcome": "not_predictive",
                        "labour_h": 2.0,
                        "parts_cost": parts,
                    },
                ):
                    rsp = api.post(f"/api/v1/work-orders/{order['id']}/actions", json=step)
                    assert rsp.status_code == 200, rsp.text
            old = api.get("/api/v1/assets/lift-old/lifecycle").json()
            new = api.get("/api/v1/assets/lift-new/lifecycle").json()
            reported = datetime.fromisoformat(order["reported_at"])
        deadline = time.time() + 10
        while time.time() < deadline:  # the checker's table follows within a pass or two
            with Session(make_engine(db)) as s:
                row = s.get(LifecycleRow, "lift-old")
                if row is not None and row.replace:
                    break
            time.sleep(0.2)
    # the repairs come after the wait for the five weeks (less half a day; at 3 days a
    # second the twelve calls may take less than the half day that is left)
    assert ORIGIN + timedelta(days=weeks * 7 - 0.5) <= reported < ORIGIN + timedelta(days=60)
    by_asset = {a: [o for o in planned if o.asset_id == a] for a in ("lift-old", "lift-new")}
    weekly = by_asset["lift-old"]
    # every Monday up to the snapshot, once each (the checker may already be a few simulated
    # hours past the fifth week when the snapshot is taken)
    assert weeks <= len(weekly) <= weeks + 1, [(o.title, o.pm_due_at) for o in weekly]
    for k, o in enumerate(sorted(weekly, key=lambda o: o.pm_due_at or ORIGIN)):
        due = (o.pm_due_at or ORIGIN).replace(tzinfo=UTC)
        assert due == ORIGIN + timedelta(days=7 * k, hours=7), due  # Mondays 07:00
        assert o.title.startswith("Weekly elevator inspection")
    monthly = by_asset["lift-new"]
    assert [o.title for o in monthly] == ["Monthly elevator inspection"]
    assert (monthly[0].pm_due_at or ORIGIN).replace(tzinfo=UTC) == ORIGIN + timedelta(days=30)
    assert old["corrective"] == 2 and old["recent_repair_cost"] == 3_600.0
    assert old["replace"] and "over 30%" in old["reason"]
    assert not new["replace"]
    assert row is not None and row.replace  # what the lifecycle board shows
