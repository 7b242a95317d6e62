"""A device's polling grid and its quarantine: pure timing rules shared by every link."""

from __future__ import annotations

import time


def next_slot(due: float, interval: float, now: float) -> float:
    """The next slot on the device's grid after ``now`` (missed slots are skipped, not bunched)."""
    nxt = due + interval
    if nxt <= now:
        nxt += ((now - nxt) // interval + 1) * interval
    return nxt


def after_failure(
    failures: int,
    quarantine_after: int,
    backoff_max_s: float,
    interval_s: float,
    backoff_s: float,
    due: float,
    started: float,
) -> tuple[float, float]:
    """(next due, backoff) of a device that just failed: its grid until ``quarantine_after``
    failures in a row, then quarantine, backing off exponentially so that a dead device
    costs its neighbours little."""
    if failures < quarantine_after:
        return next_slot(due, interval_s, time.monotonic()), backoff_s
    backoff = min(backoff_max_s, max(interval_s, backoff_s * 2 or interval_s))
    return started + backoff, backoff
