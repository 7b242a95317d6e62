"""Fixtures for the cloud: an app on embedded stores, credentials, and a simulated manifest."""

from __future__ import annotations

import gzip
import itertools
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from cloud import crud
from cloud.app import create_app
from cloud.security import Role
from cloud.settings import Settings
from kernel.contract import AssetInfo, Batch, Manifest, Reading, epoch_ms
from kernel.packed import MEDIA_TYPE
from simulators.config import synthetic_fleet
from simulators.engine import Simulation
from tests.servers import Process, postgres, victoria_metrics

SECRET = "test-secret-of-sufficient-length"


@dataclass
class Cloud:
    """A running app with credentials for two gateways and every role."""

    client: TestClient
    settings: Settings
    tokens: dict[str, str]
    keys: dict[Role, str]
    manifests: dict[str, Manifest]

    def settle(self) -> None:
        """Make stored data visible to reads (VictoriaMetrics buffers new rows up to a second)."""
        if self.settings.tsdb_url is not None:
            vm_settle(self.settings.tsdb_url)

    def auth(self, secret: str) -> dict[str, str]:
        """Bearer header."""
        return {"Authorization": f"Bearer {secret}"}

    def post(self, batch: Batch | bytes, token: str, gz: bool = True):  # type: ignore[no-untyped-def]
        """Post a batch as a gateway: as JSON, or packed bytes as they are."""
        packed = isinstance(batch, bytes)
        body = batch if packed else batch.model_dump_json().encode()
        headers = self.auth(token) | {"Content-Type": MEDIA_TYPE if packed else "application/json"}
        if gz:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        return self.client.post("/api/v1/ingest", content=body, headers=headers)


def vm_settle(url: str) -> None:
    """Flush VictoriaMetrics' buffers and wait out its index registration of new series (~1 s)."""
    httpx.get(f"{url}/internal/force_flush").raise_for_status()
    time.sleep(1.5)


def fleet_manifests(sim: Simulation, gateways: tuple[str, ...]) -> dict[str, Manifest]:
    """Split a simulated fleet's assets over gateways, round robin."""
    out: dict[str, list] = {g: [] for g in gateways}
    for i, asset in enumerate(sim.assets):
        out[gateways[i % len(gateways)]].append(asset.info())
    now = datetime.now(UTC)
    return {g: Manifest(gateway_id=g, generated_at=now, assets=a) for g, a in out.items()}


def make_cloud(settings: Settings) -> Iterator[Cloud]:
    """Start the app, register two gateways with manifests, and keys for every role."""
    sim = Simulation(synthetic_fleet(8, seed=4), horizon_days=2)
    manifests = fleet_manifests(sim, ("gw-a", "gw-b"))
    with TestClient(create_app(settings)) as client:
        factory = client.app.state.sessions  # type: ignore[attr-defined]
        tokens, keys = {}, {}
        with factory() as session:
            for gw in manifests:
                crud.create_gateway(session, gw)
                tokens[gw] = crud.issue_gateway_token(session, SECRET, gw)[1]
            for role in Role:
                keys[role] = crud.create_api_key(session, SECRET, role.value, role)[1]
        cloud = Cloud(client, settings, tokens, keys, manifests)
        for gw, manifest in manifests.items():
            rsp = client.put(
                "/api/v1/manifest",
                content=manifest.model_dump_json(),
                headers=cloud.auth(tokens[gw]),
            )
            assert rsp.status_code == 200, rsp.text
        yield cloud


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Process]:
    """One throwaway PostgreSQL for the session; each test gets its own database."""
    with postgres() as pg:
        yield pg


_db_counter = itertools.count()


def fresh_database(pg: Process) -> str:
    """A new empty database on ``pg``; returns its SQLAlchemy URL."""
    name = f"t{next(_db_counter)}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(
        f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/postgres", isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/{name}"


@pytest.fixture(params=["embedded", "postgres+victoriametrics"])
def cloud(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cloud]:
    """The app on embedded stores, and again on PostgreSQL with VictoriaMetrics."""
    if request.param == "embedded":
        settings = Settings(
            secret_key=SECRET,
            database_url=f"sqlite:///{tmp_path}/pw.db",
            embedded_tsdb_path=str(tmp_path / "ts.db"),
            _env_file=None,
        )
        yield from make_cloud(settings)
        return
    pg = request.getfixturevalue("pg_server")
    with victoria_metrics(tmp_path / "vm") as vm:
        settings = Settings(
            secret_key=SECRET,
            database_url=fresh_database(pg),
            tsdb_url=vm.url,
            tsdb_kind="victoriametrics",
            _env_file=None,
        )
        yield from make_cloud(settings)


def readings_for(
    manifest: Manifest, start: datetime, n_times: int, step_s: int = 60, seq0: int = 0
) -> list[Reading]:
    """Readings for every signal of every asset of a manifest at ``n_times`` instants."""
    out = []
    seq = seq0
    for k in range(n_times):
        ts = datetime.fromtimestamp(start.timestamp() + k * step_s, UTC)
        for a in manifest.assets:
            for s in a.signals:
                out.append(
                    Reading(
                        asset=a.id, signal=s.name, ts_ms=epoch_ms(ts), value=float(k) + 0.5, seq=seq
                    )
                )
                seq += 1
    return out


def register_entry(info: AssetInfo, **extra: object) -> dict[str, object]:
    """A register entry that agrees with what a manifest declares, plus ``extra`` fields."""
    return {
        "id": info.id,
        "site": info.site,
        "building": info.building,
        "room": info.room,
        "class": info.asset_class,
        "model": info.model,
        "install_date": info.install_date.isoformat(),
        **extra,
    }
