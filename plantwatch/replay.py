"""Hourly scoring of the readings the cloud stored, offline: what the live warning is held to.

The scoring loop evaluates at its own instants, with its lag; scoring the store's windows at
each whole hour before a failure says when a warning would open on exactly the data the
cloud received.
"""

from __future__ import annotations

from cloud.scoring.loop import read_frames
from cloud.storage.base import SeriesTags, TimeSeriesStore
from models.pipeline import FleetModel
from models.score import assess
from models.windows import grid
from plantwatch.quick_model import opens


def stored_lead_h(
    store: TimeSeriesStore,
    fleet: FleetModel,
    tags: SeriesTags,
    failure_ts: int,
    until: int,
    hours: int = 48,
) -> int | None:
    """Hours before ``failure_ts`` that the asset's warning opens (k high hourly verdicts in
    a row) on its stored readings, scoring the hours up to ``until``; None if it does not."""
    above = []
    for h in range(hours, 0, -1):
        at = failure_ts - h * 3600
        if at > until:
            break
        frames = read_frames(store, [tags], grid(at, fleet.windows), fleet.windows.step_s)
        above += [a.above_threshold for a in assess(fleet, frames, {})]
    return opens(above + [False] * (hours - len(above)), fleet.consecutive)  # none yet to come
