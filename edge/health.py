"""The gateway's local endpoint: /healthz (JSON status) and /metrics (Prometheus)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from kernel.aio import within

Status = Callable[[], dict[str, Any]]


async def serve_health(
    host: str, port: int, registry: CollectorRegistry, status: Status
) -> asyncio.Server:
    """A minimal HTTP/1.0 server for two read-only paths on a loopback port."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await within(reader.readline(), 5)
            while (await within(reader.readline(), 5)) not in (b"\r\n", b"\n", b""):
                pass
            parts = line.decode("latin-1").split()
            path = parts[1] if len(parts) > 1 else "/"
            if path == "/metrics":
                body, ctype, code = generate_latest(registry), CONTENT_TYPE_LATEST, "200 OK"
            elif path == "/healthz":
                doc = status()
                body = json.dumps(doc, default=str).encode()
                ctype = "application/json"
                code = "200 OK" if doc["ok"] else "503 Service Unavailable"
            else:
                body, ctype, code = b"not found\n", "text/plain", "404 Not Found"
            writer.write(
                f"HTTP/1.0 {code}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port)
