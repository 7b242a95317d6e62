"""The uplink sends packed columns only to a cloud that says it reads them."""

from __future__ import annotations

import asyncio
import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.config import UplinkConfig
from edge.forward.spool import Spool
from edge.forward.uplink import Uplink
from edge.metrics import EdgeMetrics
from kernel.contract import Batch, Manifest
from kernel.packed import MEDIA_TYPE, unpack
from tests.edge.forward.loopback import reply


class RecordingCloud:
    """A loopback HTTP server that keeps each batch request's media type and body."""

    def __init__(self, media_types: list[str] | None) -> None:
        self.media_types = media_types  # what its manifest answer lists (None: an older cloud)
        self.batches: list[tuple[str, bytes]] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer requests on one keep-alive connection."""
        try:
            while line := await reader.readline():
                method = line.decode().split(" ", 1)[0]
                headers = {}
                while (header := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = header.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = gzip.decompress(await reader.readexactly(int(headers["content-length"])))
                if method == "PUT":
                    answer: dict[str, object] = {"manifest_version": 1}
                    if self.media_types is not None:
                        answer["batch_media_types"] = self.media_types
                else:
                    self.batches.append((headers["content-type"], body))
                    answer = {"accepted": 1, "duplicate": False}
                await reply(writer, 200, answer)
        finally:
            writer.close()


async def _send_all(cloud: RecordingCloud, spool: Spool, encoding: str) -> None:
    server = await asyncio.start_server(cloud.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    cfg = UplinkConfig(url=f"http://127.0.0.1:{port}", token="t", batch_max=10, encoding=encoding)
    manifest = Manifest(gateway_id="gw", generated_at=datetime.now(UTC), assets=[])
    uplink = Uplink(cfg, "gw", spool, lambda: manifest, EdgeMetrics())
    async with server:
        await uplink.flush(10.0)


@pytest.mark.parametrize(
    ("listed", "encoding", "sent_as"),
    [
        (["application/json", MEDIA_TYPE], "auto", MEDIA_TYPE),
        (None, "auto", "application/json"),  # a cloud from before packed batches
        (["application/json"], "auto", "application/json"),
        (["application/json", MEDIA_TYPE], "json", "application/json"),
    ],
)
def test_packed_only_where_the_cloud_reads_it(
    tmp_path: Path, listed: list[str] | None, encoding: str, sent_as: str
) -> None:
    spool = Spool(tmp_path / "s.db", "gw", 10**6, 30, "drop_oldest")
    spool.append([("a", "s", 1000 + i, None if i == 3 else i / 4, i % 2) for i in range(25)])
    cloud = RecordingCloud(listed)
    asyncio.run(_send_all(cloud, spool, encoding))
    assert spool.depth == 0
    assert {media for media, _ in cloud.batches} == {sent_as}
    decode = unpack if sent_as == MEDIA_TYPE else Batch.model_validate_json
    readings = [r for _, body in cloud.batches for r in decode(body).readings()]
    assert [(r.ts_ms, r.value, r.quality, r.seq) for r in readings] == [
        (1000 + i, None if i == 3 else i / 4, i % 2, i + 1) for i in range(25)
    ]
    spool.close()
