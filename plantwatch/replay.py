"""Hourly scoring of the readings the cloud stored, offline: what the live warning is held to.

The scoring loop evaluates the instant its settle time before each round, once every
gateway's readings of it have arrived; scoring the store's windows at the same hourly phase
before a failure, each of the readings taken up to that instant, says when a warning would
open on exactly the data the cloud received (on the one-machine stack at 600x the loop's
probabilities equalled this replay's at every evaluation): the live warning is later than it
by no more than its lag. It can be earlier: the loop counts an evaluation once its data
reach a whole hour past the last one counted, so a round that slips a slot moves its later
evaluations off these hourly instants, where a score at the threshold may already be high.
"""

from __future__ import annotations

from cloud.scoring.loop import read_frames
from cloud.storage.base import SeriesTags, TimeSeriesStore
from models.pipeline import FleetModel
from models.score import assess
from models.windows import grid


def stored_lead_h(
    store: TimeSeriesStore,
    fleet: FleetModel,
    tags: SeriesTags,
    failure_ts: int,
    until: int,
    hours: int = 48,
    phase_h: float = 0.0,
) -> float | None:
    """Hours before ``failure_ts`` that the asset's warning opens (k high verdicts in a row)
    on its stored readings, scored hourly at ``h + phase_h`` hours before the failure up to
    ``until``; None if it does not."""
    run = 0
    for h in range(hours, -1, -1):
        lead = h + phase_h % 1.0
        at = int(failure_ts - lead * 3600)
        if lead <= 0 or at > until:
            break
        frames = read_frames(store, [tags], grid(at, fleet.windows), fleet.windows.step_s, at)
        run = run + 1 if all(a.above_threshold for a in assess(fleet, frames, {})) else 0
        if run >= fleet.consecutive:
            return lead
    return None
