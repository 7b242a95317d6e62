"""The daemon's named tasks: a stop is bounded, even for a task that loses a cancellation."""

from __future__ import annotations

import asyncio
import logging

import pytest

from edge import tasks
from edge.tasks import NamedTasks


async def _deaf_once(cancels: list[int]) -> None:
    """Swallows its first cancellation, as a lost one looks from outside."""
    for _ in range(2):
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancels.append(1)
            if len(cancels) > 1:
                raise
            asyncio.current_task().uncancel()  # type: ignore[union-attr]


async def test_a_task_that_lost_a_cancellation_is_asked_again(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(tasks, "STOP_TASK_S", 0.05)
    cancels: list[int] = []
    named = NamedTasks()
    async with asyncio.TaskGroup() as tg:  # the group's exit waits for every task
        named.group = tg
        named.start("deaf", _deaf_once(cancels))
        named.start("plain", asyncio.sleep(30))
        await asyncio.sleep(0.01)
        with caplog.at_level(logging.ERROR, "plantwatch.edge"):
            await named.stop("deaf")
            await named.stop("plain")
    assert len(cancels) == 2 and named.names() == []
    assert [r.getMessage() for r in caplog.records] == ["task deaf did not stop within 0 s (try 1)"]
