"""The simulator's export posted through the gateway's client into a real cloud service.

Real parts only: uvicorn serving the app in its own process, PostgreSQL for the registry,
VictoriaMetrics for the time series (read back through its own HTTP API).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest
from sqlalchemy.orm import Session

from cloud import crud
from cloud.db import make_engine, migrate
from edge.forward.cloud_client import CloudClient, Refused, Retry
from kernel.contract import Batch, Manifest, Reading, epoch_ms
from simulators.config import synthetic_fleet
from simulators.engine import Simulation
from simulators.export import export
from tests.cloud.conftest import SECRET, fresh_database, vm_settle
from tests.servers import Process, cloud_server, restart_victoria_metrics, victoria_metrics

pytestmark = pytest.mark.integration
BATCH = 2000


@dataclass
class Stack:
    cloud: Process
    vm: Process
    vm_data: Path
    token: str
    manifest: Manifest
    sim: Simulation


@pytest.fixture
def stack(tmp_path: Path, pg_server: Process) -> Iterator[Stack]:
    # Recent start so the readings are within the cloud's accepted age.
    start = (datetime.now(UTC) - timedelta(days=3)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    sim = Simulation(synthetic_fleet(6, seed=8, start=start), horizon_days=2)
    db_url = fresh_database(pg_server)
    migrate(db_url)
    with Session(make_engine(db_url)) as session:
        crud.create_gateway(session, "gw-sim")
        token = crud.issue_gateway_token(session, SECRET, "gw-sim")[1]
    manifest = Manifest(
        gateway_id="gw-sim", generated_at=datetime.now(UTC), assets=[a.info() for a in sim.assets]
    )
    vm_data = tmp_path / "vm"
    with victoria_metrics(vm_data) as vm:
        env = {
            "PLANTWATCH_SECRET_KEY": SECRET,
            "PLANTWATCH_DATABASE_URL": db_url,
            "PLANTWATCH_TSDB_URL": vm.url,
            "PLANTWATCH_TSDB_KIND": "victoriametrics",
        }
        with cloud_server(env, tmp_path) as cloud:
            yield Stack(cloud, vm, vm_data, token, manifest, sim)


def _exported_batches(sim: Simulation, out: Path) -> list[Batch]:
    result = export(sim, out, 600)
    rows = pq.read_table(result.telemetry).to_pylist()
    readings = [
        Reading(
            asset=r["asset"],
            signal=r["signal"],
            ts_ms=epoch_ms(r["ts"]),
            value=None if r["value"] != r["value"] else r["value"],
            quality=8 if r["value"] != r["value"] else 0,
            seq=i,
        )
        for i, r in enumerate(rows)
    ]
    return [
        Batch.of("gw-sim", f"b{k}", readings[k : k + BATCH]) for k in range(0, len(readings), BATCH)
    ]


def _vm_samples(vm: Process, manifest: Manifest) -> int:
    """Values stored in VictoriaMetrics for the manifest's assets, read through its own API."""
    vm_settle(vm.url)
    assets = "|".join(a.id for a in manifest.assets)
    rsp = httpx.get(f"{vm.url}/api/v1/export", params={"match[]": f'{{asset=~"{assets}"}}'})
    rsp.raise_for_status()
    import json

    lines = [json.loads(line) for line in rsp.text.splitlines() if line]
    return sum(
        len(line["values"]) for line in lines if not line["metric"]["__name__"].endswith("_quality")
    ) + sum(
        1
        for line in lines
        if line["metric"]["__name__"].endswith("_quality")
        for v in line["values"]
        if v == 8
    )


def test_export_posted_end_to_end_and_replay_stores_nothing_twice(
    stack: Stack, tmp_path: Path
) -> None:
    batches = _exported_batches(stack.sim, tmp_path / "export")
    total = sum(len(b) for b in batches)

    async def send_all(packed: bool) -> list[tuple[int, bool]]:
        async with CloudClient(stack.cloud.url, stack.token) as client:
            reply = await client.put_manifest(stack.manifest)
            assert reply.version >= 1 and reply.reads_packed
            acks = [await client.post_batch(b, packed) for b in batches]
            return [(a.accepted, a.duplicate) for a in acks]

    # Sent as packed columns, replayed as JSON: the same contents, so nothing twice.
    first = asyncio.run(send_all(packed=True))
    assert sum(a for a, _ in first) == total and not any(d for _, d in first)
    stored = _vm_samples(stack.vm, stack.manifest)
    assert stored == total
    replay = asyncio.run(send_all(packed=False))
    assert all(d for _, d in replay) and sum(a for a, _ in replay) == 0
    assert _vm_samples(stack.vm, stack.manifest) == stored


def test_store_down_answers_503_and_the_batch_goes_in_after_restart(
    stack: Stack, tmp_path: Path
) -> None:
    a = stack.manifest.assets[0]
    reading = Reading(
        asset=a.id, signal=a.signals[0].name, ts_ms=epoch_ms(datetime.now(UTC)), value=1.0, seq=1
    )
    batch = Batch.of("gw-sim", "outage", [reading])

    async def run() -> None:
        async with CloudClient(stack.cloud.url, stack.token) as client:
            await client.put_manifest(stack.manifest)
            stack.vm.stop()
            with pytest.raises(Retry) as err:
                await client.post_batch(batch)
            assert err.value.after_s == 5
            restart_victoria_metrics(stack.vm, stack.vm_data)
            ack = await client.post_batch(batch)
            assert (ack.accepted, ack.duplicate) == (1, False)
            with pytest.raises(Refused) as refused:
                warp = reading._replace(signal="warp_core")
                await client.post_batch(Batch.of("gw-sim", "x", [warp]))
            assert refused.value.status == 422 and refused.value.reason == "unknown_signal"

    asyncio.run(run())
    ready = httpx.get(f"{stack.cloud.url}/readyz").json()
    assert ready == {"database": "ok", "timeseries": "ok"}
    assert _vm_samples(stack.vm, stack.manifest) == 1
