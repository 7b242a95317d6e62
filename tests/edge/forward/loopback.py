"""A JSON answer written by hand on a raw loopback connection (the tests' stand-in clouds)."""

from __future__ import annotations

import asyncio
import json


async def reply(writer: asyncio.StreamWriter, code: int, body: dict[str, object]) -> None:
    """Write one HTTP/1.1 response with a JSON body and wait until it is sent."""
    raw = json.dumps(body).encode()
    writer.write(
        f"HTTP/1.1 {code} X\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(raw)}\r\n\r\n".encode()
        + raw
    )
    await writer.drain()
