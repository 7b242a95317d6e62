"""The cloud's clock: the wall clock, or a simulated one (demos and tests) running faster.

A simulated clock maps wall time to simulated time linearly from one shared origin, so a
simulator, gateways and the cloud started at different moments agree on "now".
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from kernel.aio import wait_set


@dataclass(frozen=True)
class Clock:
    """Epoch seconds ``sim_origin`` at wall time ``wall_origin``, advancing ``speed`` times
    faster than the wall; the plain wall clock when ``sim_origin`` is None."""

    sim_origin: float | None = None
    wall_origin: float = 0.0
    speed: float = 1.0

    def now_s(self) -> float:
        """Now, in epoch seconds."""
        wall = time.time()
        if self.sim_origin is None:
            return wall
        return self.sim_origin + (wall - self.wall_origin) * self.speed

    def now(self) -> datetime:
        """Now, as an aware UTC datetime."""
        return datetime.fromtimestamp(self.now_s(), UTC)


WALL = Clock()


async def pause(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep ``seconds`` (wall time) or until ``stop``; True when it is time to stop."""
    return await wait_set(stop, seconds)
