"""A round reads the slot in progress as it stood at the round's instant: readings taken
after it (a slow read, a replay of stored data) do not reach the window."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cloud.scoring.loop import read_frames
from cloud.storage.base import Rows, SeriesTags
from cloud.storage.embedded import EmbeddedStore
from kernel.contract import Batch, Reading

STEP = 600
T0 = 1_750_000_200  # on a slot boundary
TAGS = SeriesTags("pump", "north", "b1", "plant", "p1")


def test_the_slot_in_progress_holds_the_newest_reading_at_or_before_the_instant(
    tmp_path: Path,
) -> None:
    store = EmbeddedStore(tmp_path / "ts.db")
    # one reading a minute for an hour, each holding its minute
    readings = [Reading("p1", "flow", (T0 + 60 * k) * 1000, float(k)) for k in range(60)]
    store.write({"p1": TAGS}, Rows.of(Batch.of("gw", "a", readings)))
    t = T0 + STEP * np.arange(3, dtype=np.int64)  # the last slot runs from minute 20 to 30
    at = T0 + 24 * 60 + 30  # half a minute after minute 24's reading

    (whole,) = read_frames(store, [TAGS], t, STEP)
    (as_of,) = read_frames(store, [TAGS], t, STEP, until=at)

    assert whole.column("flow").tolist() == [9.0, 19.0, 29.0]
    assert as_of.column("flow").tolist() == [9.0, 19.0, 24.0]
    # a reading exactly at the instant counts
    (exact,) = read_frames(store, [TAGS], t, STEP, until=T0 + 24 * 60)
    assert exact.column("flow").tolist() == [9.0, 19.0, 24.0]
