"""An HTTP proxy between a gateway and the cloud that keeps every batch the gateway posted.

It is a ground truth independent of the gateway's own bookkeeping: whatever the gateway
handed over the wire, answered or not, is recorded before it is forwarded. It can also hold
one upload so a test can kill the gateway while the cloud stores that batch.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kernel.aio import within
from kernel.packed import MEDIA_TYPE, unpack
from tests.servers import free_port

Key = tuple[str, str, int]  # asset, signal, epoch ms

_FORWARDED = ("authorization", "content-type", "content-encoding")


@dataclass
class Posted:
    """One ingest request: the batch as sent and what the cloud answered (None: no answer)."""

    batch: dict[str, Any]
    status: int | None = None
    answer: dict[str, Any] = field(default_factory=dict)

    def readings(self) -> dict[Key, float | None]:
        """The batch's readings by (asset, signal, ts)."""
        b = self.batch
        return {
            (*b["series"][i], ts): v
            for i, ts, v in zip(b["index"], b["ts"], b["value"], strict=True)
        }


class RecordingProxy:
    """Forwards every request to ``upstream_port``; records ingest bodies and answers."""

    def __init__(self, upstream_port: int) -> None:
        self.port = free_port()
        self.posted: list[Posted] = []
        self.arrived, self.release = asyncio.Event(), asyncio.Event()
        self._hold_next = False
        self._upstream = httpx.AsyncClient(base_url=f"http://127.0.0.1:{upstream_port}")
        app = Starlette(
            routes=[Route("/{path:path}", self._forward, methods=["GET", "POST", "PUT"])]
        )
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        """Base URL the gateway posts to."""
        return f"http://127.0.0.1:{self.port}"

    def hold_next_upload(self) -> None:
        """Keep the next ingest request until ``release`` is set (``arrived`` says it came)."""
        self.arrived.clear()
        self.release.clear()
        self._hold_next = True

    async def _forward(self, request: Request) -> Response:
        body = await request.body()
        posted = None
        if request.url.path == "/api/v1/ingest":
            raw = gzip.decompress(body) if request.headers.get("content-encoding") else body
            packed = request.headers.get("content-type", "").startswith(MEDIA_TYPE)
            posted = Posted(unpack(raw).model_dump() if packed else json.loads(raw))
            self.posted.append(posted)
            if self._hold_next:
                self._hold_next = False
                self.arrived.set()
                await within(self.release.wait(), 30)
        headers = {k: v for k, v in request.headers.items() if k.lower() in _FORWARDED}
        try:
            rsp = await self._upstream.request(
                request.method, request.url.path, content=body, headers=headers, timeout=30
            )
        except httpx.HTTPError:
            return Response(b"cloud unreachable", status_code=502)
        if posted is not None:
            posted.status = rsp.status_code
            posted.answer = rsp.json() if rsp.content else {}
        return Response(
            rsp.content,
            status_code=rsp.status_code,
            media_type=rsp.headers.get("content-type"),
        )

    async def __aenter__(self) -> RecordingProxy:
        self._task = asyncio.create_task(self._server.serve())
        for _ in range(500):
            if self._server.started:
                return self
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)
        raise TimeoutError("the recording proxy did not start")

    async def __aexit__(self, *exc: object) -> None:
        self.release.set()
        self._server.should_exit = True
        if self._task is not None:
            await within(self._task, 10)
        await self._upstream.aclose()
