"""Simulated time: real time, accelerated, or held still for tests."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class SimClock:
    """Simulated epoch seconds advancing ``speed`` times faster than the wall clock."""

    start: float
    speed: float = 1.0
    frozen: bool = False
    _wall0: float = field(default_factory=time.monotonic)

    def now(self) -> float:
        """Current simulated time in epoch seconds."""
        if self.frozen:
            return self.start
        return self.start + (time.monotonic() - self._wall0) * self.speed

    def set(self, t: float) -> None:
        """Jump to ``t`` and hold still there."""
        self.start = t
        self.frozen = True
