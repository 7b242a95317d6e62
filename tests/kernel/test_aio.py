"""Bounded waits: a cancellation that arrives as the awaited thing completes is kept."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import pytest

from kernel.aio import wait_set, within


async def _poll_loop(wake: asyncio.Event, wait: Callable[[], Awaitable[object]]) -> None:
    """The shape of the edge's pollers: clear the wake event, wait for it (bounded), repeat."""
    for _ in range(1000):
        wake.clear()
        with contextlib.suppress(TimeoutError):
            await wait()


@pytest.mark.parametrize("kind", ["wait_set", "within"])
async def test_a_loop_cancelled_as_its_event_is_set_stops(kind: str) -> None:
    wake = asyncio.Event()

    def wait() -> Awaitable[object]:
        return wait_set(wake, 30) if kind == "wait_set" else within(wake.wait(), 30)

    task = asyncio.create_task(_poll_loop(wake, wait))
    await asyncio.sleep(0.01)  # the loop is waiting
    wake.set()  # a poll finished...
    task.cancel()  # ...in the same turn as the daemon's stop
    done, _ = await asyncio.wait({task}, timeout=2)
    assert task in done and task.cancelled()


async def test_wait_set_says_whether_the_event_came() -> None:
    event = asyncio.Event()
    assert await wait_set(event, 0.01) is False
    asyncio.get_running_loop().call_later(0.01, event.set)
    assert await wait_set(event, 5) is True
    assert await wait_set(event, -1) is True  # already set: no wait, even at a zero bound


async def test_within_returns_the_result_or_raises_and_cancels() -> None:
    assert await within(asyncio.sleep(0, "done"), 1) == "done"
    slow = asyncio.create_task(asyncio.sleep(30))
    with pytest.raises(TimeoutError):
        await within(slow, 0.01)
    assert slow.cancelled()
