"""Where the spool's next batch ends, and the batch assembled from the chunks holding it."""

from __future__ import annotations

import math
from array import array

from edge.forward.chunks import Chunk, assemble, batch_end, pack


def test_a_batch_runs_over_contiguous_chunks_up_to_its_size_and_bound() -> None:
    chunks = [(1, 10), (11, 10), (21, 5), (40, 10)]  # readings 26-39 were dropped
    assert batch_end(chunks, 1, 100, None) == 25  # the gap ends it
    assert batch_end(chunks, 1, 15, None) == 15  # its size ends it inside a chunk
    assert batch_end(chunks, 1, 100, 12) == 12  # and so does the bound
    assert batch_end(chunks[3:], 40, 100, None) == 49
    assert batch_end([], 7, 100, None) == 6  # nothing from there: an empty range


def test_assembly_cuts_the_chunks_to_the_range_and_restores_missing_values() -> None:
    readings = [("p1", "flow", 1000 + k, None if k == 3 else float(k), k % 2) for k in range(6)]
    series = [7 if k % 2 else 9 for k in range(6)]
    (chunk,) = pack(readings, series, 11, 500)
    assert chunk.n == 6 and math.isnan(chunk.value[3])
    later = Chunk(17, 900, array("I", [9]), array("q", [2000]), array("d", [1.5]), array("I", [0]))
    names = {7: ("p1", "flow"), 9: ("p1", "temp")}
    batch, oldest = assemble([chunk], 12, 14, "gw", "abc-12-14", names)
    assert batch.seq == [12, 13, 14]
    assert batch.ts == [1001, 1002, 1003]
    assert batch.value == [1.0, 2.0, None]
    assert batch.quality == [1, 0, 1]
    assert [batch.series[i] for i in batch.index] == [names[7], names[9], names[7]]
    assert batch.spool_id == "abc" and oldest == 500
    # across two chunks, the older spooling time is the batch's
    batch, oldest = assemble([chunk, later], 15, 17, "gw", "abc-15-17", names)
    assert batch.ts == [1004, 1005, 2000] and batch.seq == [15, 16, 17] and oldest == 500
