"""Labels: does the asset fail within the horizon, and when; downtime is left out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

SETTLED_H = 7 * 24.0  # instants this far from the next failure are the asset's normal


@dataclass(frozen=True)
class Labels:
    """Per evaluated instant: the target, whether to use the instant, hours to failure."""

    y: npt.NDArray[np.bool_]
    usable: npt.NDArray[np.bool_]
    hours_to_failure: F64  # inf when no failure follows
    next_failure: npt.NDArray[np.int64]  # index into the failures, -1 when none follows

    def settled(self) -> npt.NDArray[np.bool_]:
        """Instants far from any failure: a week or more before the next, and not between a
        failure and its repair (what the normaliser, signatures and health score learn as
        normal)."""
        return np.asarray(self.usable & (self.hours_to_failure > SETTLED_H))


def repairs_after(failures: I64, maintenance: I64) -> I64:
    """When each failure ended: the first maintenance at or after it (a repair)."""
    pos = np.searchsorted(maintenance, failures, side="left")
    end = np.full(len(failures), np.iinfo(np.int64).max, dtype=np.int64)
    ok = pos < len(maintenance)
    end[ok] = maintenance[pos[ok]]
    return end


def make_labels(t: I64, failures: I64, repaired: I64, horizon_h: float = 48.0) -> Labels:
    """Label instants ``t`` (epoch s) against one asset's failures and their repairs."""
    if len(failures) == 0:
        never = np.zeros(len(t), dtype=bool)
        return Labels(never, ~never, np.full(len(t), np.inf), np.full(len(t), -1, np.int64))
    nxt = np.searchsorted(failures, t, side="right")  # first failure strictly after t
    has = nxt < len(failures)
    when = np.where(has, failures[np.clip(nxt, 0, max(len(failures) - 1, 0))], 0)
    hours = np.where(has, (when - t) / 3600.0, np.inf)
    y = hours <= horizon_h
    prev = nxt - 1  # the last failure at or before t
    down = (prev >= 0) & (t <= repaired[np.clip(prev, 0, None)] if len(repaired) else False)
    return Labels(y=y, usable=~down, hours_to_failure=hours, next_failure=np.where(has, nxt, -1))
