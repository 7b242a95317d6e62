"""The flush on stop rides out a cloud that answers "not now", within its deadline."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

from edge.config import UplinkConfig
from edge.forward.spool import Spool
from edge.forward.uplink import Uplink
from edge.metrics import EdgeMetrics
from kernel.contract import Manifest
from tests.edge.forward.loopback import reply


class FlakyCloud:
    """A loopback HTTP server: manifest accepted, the first ``busy`` batches get 503."""

    def __init__(self, busy: int, status: int = 503) -> None:
        self.busy, self.status = busy, status
        self.batches: list[int] = []  # the answer code of each batch request, in order
        self.connections: set[asyncio.Task[None]] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer requests on one keep-alive connection."""
        task = asyncio.current_task()
        assert task is not None
        self.connections.add(task)
        try:
            while line := await reader.readline():
                method, path, _ = line.decode().split(" ", 2)
                length = 0
                while (header := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = header.decode().partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                await reader.readexactly(length)
                await reply(writer, *self.answer(method, path))
        finally:
            writer.close()

    def answer(self, method: str, path: str) -> tuple[int, dict[str, object]]:
        """The cloud's answer to one request."""
        if method == "PUT":
            return 200, {"manifest_version": 1}
        if len(self.batches) < self.busy:
            self.batches.append(self.status)
            return self.status, {"reason": "busy", "detail": "try later"}
        self.batches.append(200)
        return 200, {"accepted": 1, "duplicate": False}


async def flush_against(
    cloud: FlakyCloud, spool: Spool, deadline_s: float, failing: str | None = None
) -> float:
    """Flush ``spool`` to ``cloud``; returns the seconds the flush took."""
    server = await asyncio.start_server(cloud.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    cfg = UplinkConfig(url=f"http://127.0.0.1:{port}", token="t", batch_max=10, timeout_s=5)
    manifest = Manifest(gateway_id="gw", generated_at=datetime.now(UTC), assets=[])
    uplink = Uplink(cfg, "gw", spool, lambda: manifest, EdgeMetrics())
    uplink.last_error = failing  # what the uplink's last attempt before the stop met
    began = time.monotonic()
    async with server:
        await uplink.flush(deadline_s)
        if cloud.connections:  # the client has closed: let the handlers see it
            await asyncio.wait(cloud.connections, timeout=5)
    return time.monotonic() - began


def test_a_busy_cloud_is_tried_again_until_the_spool_is_empty(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.db", "gw", 10**6, 30, "drop_oldest")
    spool.append([("a", "s", i, 1.0, 0) for i in range(25)])
    cloud = FlakyCloud(busy=3)
    asyncio.run(flush_against(cloud, spool, 10.0))
    assert spool.depth == 0
    assert cloud.batches == [503, 503, 503, 200]  # one backlog-sized batch
    spool.close()


def test_the_flush_keeps_its_deadline_and_the_spool_keeps_the_rest(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.db", "gw", 10**6, 30, "drop_oldest")
    spool.append([("a", "s", i, 1.0, 0) for i in range(25)])
    cloud = FlakyCloud(busy=10**6)
    took = asyncio.run(flush_against(cloud, spool, 1.5))
    assert 1.4 <= took < 4.0
    assert spool.depth == 25 and len(cloud.batches) >= 3
    spool.close()


def test_a_refused_token_ends_the_flush_at_once(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.db", "gw", 10**6, 30, "drop_oldest")
    spool.append([("a", "s", i, 1.0, 0) for i in range(25)])
    cloud = FlakyCloud(busy=10**6, status=401)
    asyncio.run(flush_against(cloud, spool, 10.0))
    assert cloud.batches == [401] and spool.depth == 25
    spool.close()


def test_a_cloud_already_failing_before_the_stop_gets_one_attempt(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.db", "gw", 10**6, 30, "drop_oldest")
    spool.append([("a", "s", i, 1.0, 0) for i in range(25)])
    cloud = FlakyCloud(busy=10**6)
    took = asyncio.run(flush_against(cloud, spool, 10.0, failing="cloud answered 503"))
    assert cloud.batches == [503] and spool.depth == 25 and took < 2.0
    spool.close()
