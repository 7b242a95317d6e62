"""The daemon's long-running tasks, by name: started in its task group, stopped one by one."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger("plantwatch.edge")
STOP_TASK_S = 5.0
STOP_ATTEMPTS = 3


class NamedTasks:
    """Tasks of one task group, each under a name (``link:rs485``, ``uplink``...)."""

    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.group: asyncio.TaskGroup | None = None

    def __contains__(self, name: str) -> bool:
        return name in self._tasks

    def names(self) -> list[str]:
        """The running tasks' names."""
        return list(self._tasks)

    def start(self, name: str, coro: Coroutine[Any, Any, None]) -> None:
        """Start ``coro`` in the group under ``name``."""
        assert self.group is not None
        self._tasks[name] = self.group.create_task(coro, name=name)

    async def stop(self, name: str) -> None:
        """Cancel a task and wait (bounded) for it to end; report how it ended."""
        task = self._tasks.pop(name, None)
        if task is None:
            return
        for attempt in range(1, STOP_ATTEMPTS + 1):
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=STOP_TASK_S)
            if done:
                break
            # A task that lost a cancellation (one library's race) would hold the daemon's
            # task group, and so its stop, for ever: ask again.
            log.error("task %s did not stop within %.0f s (try %d)", name, STOP_TASK_S, attempt)
        else:
            return
        if not task.cancelled() and task.exception() is not None:
            log.error("task %s had failed: %r", name, task.exception())
