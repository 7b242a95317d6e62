"""Bounded waits that never lose a cancellation.

On Python 3.11, ``asyncio.wait_for`` returns normally when the task is cancelled in the same
turn of the loop as the awaited thing completes: the cancellation is swallowed, and a loop
built on it never stops (a daemon's task group then waits for it forever). ``asyncio.timeout``
counts cancellations and has no such gap; these helpers are the project's one way to bound a
wait, and ruff bans ``asyncio.wait_for`` everywhere else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def wait_set(event: asyncio.Event, timeout_s: float) -> bool:
    """Wait until ``event`` is set or ``timeout_s`` passes; True when it was set."""
    try:
        async with asyncio.timeout(max(0.0, timeout_s)):
            await event.wait()
    except TimeoutError:
        return False
    return True


async def within(aw: Awaitable[T], timeout_s: float) -> T:
    """Await ``aw``, raising TimeoutError after ``timeout_s`` (and cancelling it)."""
    async with asyncio.timeout(max(0.0, timeout_s)):
        return await aw
