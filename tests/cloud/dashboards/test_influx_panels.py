"""A site on InfluxDB: the boards' time-series panels, built for it, query a real InfluxDB
(Debian's 1.x, InfluxQL) holding what the cloud writes, and return every asset's series."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from cloud import crud
from cloud.dashboards.build import UNIT_FIELDS, render
from cloud.db import migrate
from cloud.storage.base import Rows, SeriesTags
from cloud.storage.line_protocol import to_line_protocol
from kernel.contract import Batch
from simulators.config import synthetic_fleet
from simulators.engine import Simulation
from tests.cloud.conftest import fleet_manifests, fresh_database, readings_for
from tests.servers import Process, influxdb

pytestmark = pytest.mark.integration


def _targets(doc: dict) -> list[dict]:  # type: ignore[type-arg]
    return [
        t
        for p in doc["panels"]
        if p["datasource"]["uid"] == "plantwatch-influx"
        for t in p["targets"]
    ]


def test_the_influx_boards_query_what_the_cloud_writes(pg_server: Process, tmp_path: Path) -> None:
    sim = Simulation(synthetic_fleet(8, seed=4), horizon_days=1)
    manifest = fleet_manifests(sim, ("gw-a",))["gw-a"]
    db = fresh_database(pg_server)
    migrate(db)
    with Session(create_engine(db)) as s:
        crud.apply_manifest(s, crud.create_gateway(s, "gw-a"), manifest)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    batch = Batch.of("gw-a", "b-1", readings_for(manifest, start, 60, step_s=60))
    tags = {
        a.id: SeriesTags(a.asset_class, a.site, a.building, a.room, a.id) for a in manifest.assets
    }
    boards = render("influxdb")
    targets = {name: _targets(doc) for name, doc in boards.items()}
    assert len(targets["asset-detail"]) == 1 and len(targets["ingest-health"]) == 1
    assert not any(
        p["datasource"]["uid"] == "plantwatch-vm" for d in boards.values() for p in d["panels"]
    )
    window = f"time >= {int(start.timestamp() * 1000) - 1}ms and time <= now()"
    with influxdb(tmp_path / "influx") as server:
        rsp = httpx.post(
            f"{server.url}/write",
            params={"db": "plantwatch", "precision": "ms"},
            content=to_line_protocol(tags, Rows.of(batch)),
        )
        assert rsp.status_code == 204, rsp.text
        engine = create_engine(db)
        checked = 0
        for asset in manifest.assets:
            with engine.connect() as conn:
                units = conn.execute(text(UNIT_FIELDS.replace("$asset", asset.id))).fetchall()
            assert units, asset.id
            for unit_text, fields in units:
                query = (
                    targets["asset-detail"][0]["query"]
                    .replace("${unit:raw}", fields)
                    .replace("${asset_class:raw}", re.escape(asset.asset_class))
                    .replace("$asset", asset.id)
                    .replace("$timeFilter", window)
                    .replace("$__interval", "10m")
                )
                got = httpx.get(
                    f"{server.url}/query", params={"db": "plantwatch", "q": query}
                ).json()
                series = got["results"][0].get("series")
                assert series, (asset.id, unit_text, query, got)
                columns = series[0]["columns"]
                wanted = {f"mean_{f}" for f in fields.split("|")}
                assert set(columns[1:]) == wanted, (asset.id, unit_text, columns)
                assert any(v is not None for row in series[0]["values"] for v in row[1:])
                checked += 1
        engine.dispose()
        counted = targets["ingest-health"][0]["query"].replace("$timeFilter", window)
        got = httpx.get(f"{server.url}/query", params={"db": "plantwatch", "q": counted}).json()
        series = got["results"][0]["series"]
        assert {s["tags"]["site"] for s in series} == {a.site for a in manifest.assets}
        assert {s["name"] for s in series} == {a.asset_class for a in manifest.assets}
    assert checked >= 8 * 3  # every asset has several units
