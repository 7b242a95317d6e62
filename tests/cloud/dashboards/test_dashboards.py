"""Dashboards as code: the committed JSON is what the code renders, it parses as Grafana's
dashboard model, and every panel, annotation and variable query returns data of the
expected shape from real PostgreSQL and VictoriaMetrics filled through the cloud."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from grafana_foundation_sdk.models.dashboard import Dashboard
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from cloud.dashboards.build import render
from cloud.dashboards.provision import Sources, provisioning_files
from cloud.dashboards.reader_role import READER_ROLE
from cloud.register.lifecycle import Policy, refresh_lifecycle
from cloud.scoring.loop import Scorer
from cloud.security import Role
from cloud.settings import Settings
from cloud.workorders.checker import check_once
from kernel.contract import AlarmBatch, AlarmEvent, epoch_ms
from plantwatch.cli import app
from tests.cloud.conftest import SECRET, Cloud, fresh_database, make_cloud, register_entry
from tests.cloud.scoring.test_loop import Quick, _ingest, _route_hvac, quick  # noqa: F401
from tests.servers import Process, victoria_metrics

DEPLOY = Path(__file__).resolve().parents[3] / "deploy" / "grafana"


def _queries(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(where, target, data source uid) of every query in a dashboard."""
    for panel in doc["panels"]:
        for target in panel["targets"]:
            yield f"panel {panel['title']!r}", target, panel["datasource"]["uid"]
    for a in doc.get("annotations", {}).get("list", []):
        yield f"annotation {a['name']!r}", a["target"], a["datasource"]["uid"]
    for v in doc.get("templating", {}).get("list", []):
        yield f"variable {v['name']!r}", {"rawSql": v["query"]}, v["datasource"]["uid"]


def test_committed_dashboards_are_what_the_code_renders(tmp_path: Path) -> None:
    rsp = CliRunner().invoke(app, ["grafana", "build", "--out", str(tmp_path)])
    assert rsp.exit_code == 0, rsp.output
    for name in render():
        built = (tmp_path / "dashboards" / f"{name}.json").read_text()
        assert built == (DEPLOY / "dashboards" / f"{name}.json").read_text(), name
    for rel in ("datasources/plantwatch.yaml", "dashboards/plantwatch.yaml"):
        assert (tmp_path / "provisioning" / rel).read_text() == (
            DEPLOY / "provisioning" / rel
        ).read_text()
    again = tmp_path / "again"
    CliRunner().invoke(app, ["grafana", "build", "--out", str(again)])
    assert (again / "dashboards" / "fleet-overview.json").read_text() == (
        tmp_path / "dashboards" / "fleet-overview.json"
    ).read_text()


def test_dashboards_parse_as_grafanas_dashboard_model() -> None:
    uids = set()
    for name, doc in render().items():
        model = Dashboard.from_json(doc)
        assert model.uid == doc["uid"] and model.title == doc["title"], name
        assert model.panels is not None and len(model.panels) == len(doc["panels"])
        again = json.loads(json.dumps(model.to_json(), default=lambda o: o.to_json()))
        assert [p["title"] for p in again["panels"]] == [p["title"] for p in doc["panels"]]
        for panel in doc["panels"]:
            assert panel["datasource"]["uid"] in ("plantwatch-vm", "plantwatch-pg")
            assert panel["targets"] and all(t["refId"] for t in panel["targets"])
            pos = panel["gridPos"]
            assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24
        uids.add(doc["uid"])
    assert len(uids) == len(render())
    files = provisioning_files(Sources(), "/dash")
    sources = files["datasources/plantwatch.yaml"]["datasources"]
    assert {s["type"] for s in sources} == {
        "prometheus",
        "grafana-postgresql-datasource",
        "influxdb",
    }
    influx = next(s for s in sources if s["type"] == "influxdb")
    assert influx["jsonData"]["version"] == "InfluxQL"
    yaml.safe_dump(files)  # serialisable as Grafana's provisioning YAML
    committed = yaml.safe_load((DEPLOY / "provisioning/datasources/plantwatch.yaml").read_text())
    pg = next(s for s in committed["datasources"] if s["uid"] == "plantwatch-pg")
    assert pg["secureJsonData"]["password"] == "${PLANTWATCH_GRAFANA_PG_PASSWORD}"
    assert pg["user"] == READER_ROLE  # the role `plantwatch grafana role` makes


@pytest.fixture
def filled(
    quick: Quick,  # noqa: F811
    pg_server: Process,
    tmp_path: Path,
) -> Iterator[tuple[Cloud, Quick, str]]:
    """The cloud on PostgreSQL + VictoriaMetrics with telemetry, a warning, orders, an
    escalation and a completed confirmed prediction."""
    db = fresh_database(pg_server)
    with victoria_metrics(tmp_path / "vm") as vm:
        settings = Settings(secret_key=SECRET, database_url=db, tsdb_url=vm.url, _env_file=None)
        for cloud in make_cloud(settings):
            e = quick.failure
            _route_hvac(cloud, datetime.now(UTC))
            _ingest(cloud, quick, e.ts - 12 * 86400, e.ts, "history")
            app_state = cloud.client.app.state  # type: ignore[attr-defined]
            now = [e.ts - (quick.opens_h + 2) * 3600]
            scorer = Scorer(
                app_state.sessions, app_state.store, quick.registry, clock=lambda n=now: n[0]
            )
            for _ in range(4):
                now[0] += 3600
                scorer.score()
            tech = cloud.auth(cloud.keys[Role.DISPATCHER])
            r = cloud.client.post(
                "/api/v1/work-orders",
                json={"asset_id": e.asset, "fault": "noise", "title": "Loud", "priority": "urgent"},
                headers=tech,
            )
            urgent = r.json()["id"]
            for body in ({"action": "acknowledge"}, {"action": "arrive"}):
                cloud.client.post(f"/api/v1/work-orders/{urgent}/actions", json=body, headers=tech)
            late = cloud.client.post(
                "/api/v1/work-orders",
                json={"asset_id": e.asset, "fault": "leak", "title": "Drip", "priority": "urgent"},
                headers=tech,
            ).json()["id"]
            asyncio.run(
                check_once(app_state.sessions, None, datetime.now(UTC) + timedelta(hours=3))
            )
            warned = cloud.client.get("/api/v1/warnings", headers=tech).json()[0]["work_order_id"]
            for body in (
                {"action": "dispatch", "assignee": "ann"},  # nobody was on duty back then
                {"action": "acknowledge"},
                {"action": "arrive"},
                {"action": "start"},
                {
                    "action": "complete",
                    "problem": "VIB",
                    "cause": "1.3",
                    "remedy": "replace",
                    "outcome": "confirmed",
                    "labour_h": 3.5,
                    "parts_cost": 4_000.0,
                },
            ):
                rsp = cloud.client.post(
                    f"/api/v1/work-orders/{warned}/actions", json=body, headers=tech
                )
                assert rsp.status_code == 200, rsp.text
            assert late != urgent
            now[0] += 3600  # still high after the repair: a new warning stays open
            scorer.score()
            _register_and_alarm(cloud, e.asset)
            with app_state.sessions() as session:  # what the checker keeps for the boards
                refresh_lifecycle(session, datetime.now(UTC), Policy(labour_rate=80), every_s=0)
            cloud.settle()
            yield cloud, quick, db


def _register_and_alarm(cloud: Cloud, asset_id: str) -> None:
    """The failed asset's purchase value (its repair makes it a replacement candidate) and
    a local alarm its gateway raised."""
    gateway, info = next(
        (g, a) for g, m in cloud.manifests.items() for a in m.assets if a.id == asset_id
    )
    entry = register_entry(info, purchase_value=12_000, currency="CNY", criticality="high")
    admin = cloud.auth(cloud.keys[Role.ADMIN])
    rsp = cloud.client.put(f"/api/v1/register/{asset_id}", json=entry, headers=admin)
    assert rsp.status_code == 200, rsp.text
    event = AlarmEvent(
        gateway_id=gateway,
        event_id="a-1",
        rule="hot",
        asset=asset_id,
        signal="vibration_rms",
        state="raised",
        severity="warning",
        ts_ms=epoch_ms(datetime.now(UTC)),
        value=9.0,
        threshold=8.0,
        message="vibration_rms 9.0 above 8.0 for 60 s",
    )
    rsp = cloud.client.post(
        "/api/v1/alarms",
        content=AlarmBatch(gateway_id=gateway, events=[event]).model_dump_json(),
        headers=cloud.auth(cloud.tokens[gateway]),
    )
    assert rsp.status_code == 200, rsp.text


# "All" of a multi-value variable, as SQL the query can run with.
_ALL = {
    "($site)": "(SELECT site FROM assets)",
    "($building)": "(SELECT building FROM assets)",
    "($class)": "(SELECT name FROM asset_classes)",
}


def _sql(query: str, asset: str, start: datetime, end: datetime) -> str:
    for var, every in _ALL.items():
        query = query.replace(var, every)
    query = re.sub(
        r"\$__timeFilter\(([\w.]+)\)",
        lambda m: f"{m.group(1)} BETWEEN '{start.isoformat()}' AND '{end.isoformat()}'",
        query,
    )
    return query.replace("$asset", asset)


def _first_unit(conn: Any, asset: str) -> str:
    """The value the unit variable gives the first repeated panel: a regex of series."""
    from cloud.dashboards.build import UNITS

    return str(conn.execute(text(UNITS.replace("$asset", asset))).fetchall()[0][1])


def test_every_panel_query_returns_data_of_the_expected_shape(
    filled: tuple[Cloud, Quick, str],
) -> None:
    cloud, q, db = filled
    asset = q.failure.asset
    start = datetime.fromtimestamp(q.failure.ts - 14 * 86400, UTC)
    end = datetime.now(UTC) + timedelta(days=1)
    engine = create_engine(db)
    vm_url = cloud.settings.tsdb_url
    ran = 0
    with engine.connect() as conn:
        for name, doc in render().items():
            for where, target, uid in _queries(doc):
                if uid == "plantwatch-pg":
                    result = conn.execute(text(_sql(target["rawSql"], asset, start, end)))
                    rows = result.fetchall()
                    assert rows, f"{name}: {where} returned no rows"
                    cols = list(result.keys())
                    if target.get("format") == "time_series" or where.startswith("annotation"):
                        assert "time" in cols, (name, where, cols)
                    if where.startswith("annotation"):
                        assert "text" in cols
                else:
                    rsp = httpx.get(
                        f"{vm_url}/api/v1/query_range",
                        params={
                            "query": target["expr"]
                            .replace("$asset", asset)
                            .replace("${unit:raw}", _first_unit(conn, asset)),
                            "start": start.timestamp(),
                            "end": (q.failure.ts + 3600),
                            "step": "1h",
                        },
                    )
                    rsp.raise_for_status()
                    body = rsp.json()
                    assert body["data"]["resultType"] == "matrix", (name, where)
                    series = body["data"]["result"]
                    assert series and all(s["values"] for s in series), (name, where)
                ran += 1
    assert ran >= 20
    stats = [p for d in render().values() for p in d["panels"] if p["type"] == "stat"]
    with engine.connect() as conn:
        for p in stats:  # a stat shows one value: one row, a number
            rows = conn.execute(text(_sql(p["targets"][0]["rawSql"], asset, start, end))).fetchall()
            assert len(rows) == 1 and len(rows[0]) == 1 and rows[0][0] is not None, p["title"]
