"""InfluxDB line protocol of a batch, built column by column in Arrow.

Formatting 20,000 floats and timestamps one by one in Python costs more than everything
else the ingest path does with them; Arrow's compute kernels format and join the columns
in native code. Floats are written in their shortest round-trip form (``5`` for 5.0, which
line protocol reads as the float 5), integers (the quality bit sets) with an ``i``.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from cloud.storage.base import SeriesTags
from kernel.contract import Batch

QUALITY_SUFFIX = "_quality"


def series_prefix(tags: SeriesTags) -> str:
    """Measurement and tag set of a line, tags in key order (InfluxDB's fast path).

    Identifiers are restricted to [a-z0-9_.-] by the data contract, so nothing needs escaping.
    """
    return (
        f"{tags.measurement},asset={tags.asset},building={tags.building},"
        f"room={tags.room},site={tags.site}"
    )


def _joined(*parts: pa.Array | str) -> pa.Array:
    """Row-wise concatenation of string columns and constants (null where a part is)."""
    return pc.binary_join_element_wise(*parts, "")


def to_line_protocol(tags: dict[str, SeriesTags], batch: Batch) -> bytes:
    """One line per reading, millisecond timestamps; a reading without value or flags has
    nothing to store and no line."""
    if not len(batch):
        return b""
    index = pa.array(batch.index, pa.int32())
    prefixes = [series_prefix(tags[a]) + " " for a, _ in batch.series]
    value = pa.array(batch.value, pa.float64())
    stamp = pc.cast(pa.array(batch.ts, pa.int64()), pa.string())
    if not any(batch.quality):  # the common case: one column of heads, one join
        heads = [p + f"{s}=" for p, (_, s) in zip(prefixes, batch.series, strict=True)]
        values = pc.cast(value, pa.string())
        lines = _joined(pc.take(pa.array(heads), index), values, " ", stamp, "\n")
        return _data_of(lines if value.null_count == 0 else pc.filter(lines, pc.is_valid(value)))
    value_field = _joined(
        pc.take(pa.array([f"{s}=" for _, s in batch.series]), index),
        pc.cast(value, pa.string()),
    )
    quality = pa.array(batch.quality, pa.int64())
    flagged = pc.not_equal(quality, 0)
    quality_field = pc.if_else(
        flagged,
        _joined(
            pc.take(pa.array([f"{s}{QUALITY_SUFFIX}=" for _, s in batch.series]), index),
            pc.cast(quality, pa.string()),
            "i",
        ),
        pa.scalar(None, pa.string()),
    )
    present = pc.is_valid(value)
    # pc.binary_join_element_wise(..., null_handling="skip") drops rows where every part is
    # null (pyarrow 26), so the three cases are chosen row by row instead.
    fields = pc.if_else(
        flagged,
        pc.if_else(
            present, pc.binary_join_element_wise(value_field, quality_field, ","), quality_field
        ),
        value_field,
    )
    prefix = pc.take(pa.array(prefixes), index)
    lines = pc.filter(_joined(prefix, fields, " ", stamp, "\n"), pc.or_(present, flagged))
    return _data_of(lines)


def _data_of(lines: pa.Array) -> bytes:
    """The concatenated characters of a string column (its lines end in newlines)."""
    one = pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()), lines)
    return bytes(pc.binary_join(one, "")[0].as_buffer())
