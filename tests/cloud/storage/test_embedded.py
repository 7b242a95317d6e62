"""The embedded store shared by processes: an API worker writes series a scoring worker reads."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from cloud.storage.base import Rows, SeriesTags
from cloud.storage.embedded import EmbeddedStore
from kernel.contract import Batch, Reading

T0 = 1_750_000_000
TAGS = {a: SeriesTags("pump", "north", "b1", "plant", a) for a in ("p1", "p2")}


def _write(path: str, asset: str, value: float) -> None:
    """Another process's store writes one asset's readings (new series)."""
    store = EmbeddedStore(path)
    readings = [Reading(asset, "flow", (T0 + 600 * i) * 1000, value + i) for i in range(6)]
    store.write(TAGS, Rows.of(Batch.of("gw", f"b-{asset}", readings)))
    store.close()


def _in_another_process(path: Path, asset: str, value: float) -> None:
    proc = multiprocessing.get_context("spawn").Process(
        target=_write, args=(str(path), asset, value)
    )
    proc.start()
    proc.join(60)
    assert proc.exitcode == 0


def test_a_reader_sees_series_another_process_created_after_it_opened(tmp_path: Path) -> None:
    path = tmp_path / "ts.db"
    reader = EmbeddedStore(path)  # opens first, with no series at all
    _in_another_process(path, "p1", 10.0)
    start, end = datetime.fromtimestamp(T0, UTC), datetime.fromtimestamp(T0 + 3600, UTC)

    cols = reader.window_columns([TAGS["p1"]], start, end, 600)
    assert cols.series == [("p1", "flow")]
    assert cols.value.tolist() == [10.0, 11.0, 12.0, 13.0, 14.0, 15.0]

    # and again for a series created after the reader's first look
    _in_another_process(path, "p2", 20.0)
    cols = reader.window_columns(list(TAGS.values()), start, end, 600)
    assert sorted(cols.series) == [("p1", "flow"), ("p2", "flow")]
    p2 = cols.index == cols.series.index(("p2", "flow"))
    assert np.array_equal(cols.value[p2], [20.0, 21.0, 22.0, 23.0, 24.0, 25.0])
    assert {s.asset for s in reader.latest(list(TAGS.values()), end)} == {"p1", "p2"}
    reader.close()
