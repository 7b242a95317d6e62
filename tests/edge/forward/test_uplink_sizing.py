"""Batch sizes follow the backlog: small while live, larger while a backlog waits."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from edge.config import UplinkConfig
from edge.forward.spool import Spool
from edge.forward.uplink import Uplink
from edge.metrics import EdgeMetrics
from kernel.contract import Manifest


def test_batches_grow_with_the_backlog_and_shrink_on_413(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.db", "gw", 10**6, 30, "drop_oldest")
    cfg = UplinkConfig(url="http://127.0.0.1:1", token="t", batch_max=100, backlog_batch_max=1000)
    manifest = Manifest(gateway_id="gw", generated_at=datetime.now(UTC), assets=[])
    uplink = Uplink(cfg, "gw", spool, lambda: manifest, EdgeMetrics())
    spool.append([("a", "s", i, 1.0, 0) for i in range(150)])
    assert uplink.batch_size() == 100  # live: one poll cycle or so per batch
    spool.append([("a", "s", 1000 + i, 1.0, 0) for i in range(500)])
    assert uplink.batch_size() == 1000  # a backlog: fewer, larger requests
    pending = spool.begin(uplink.batch_size())
    assert pending is not None and len(pending.batch) == 650
    spool.close()
