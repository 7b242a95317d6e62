"""InfluxDB line protocol of a batch, built column by column in Arrow.

Formatting 20,000 floats and timestamps one by one in Python costs more than everything
else the ingest path does with them; Arrow's compute kernels format and join the columns
in native code. Floats are written in their shortest round-trip form (``5`` for 5.0, which
line protocol reads as the float 5), integers (the quality bit sets) with an ``i``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from cloud.storage.base import Rows, SeriesTags

QUALITY_SUFFIX = "_quality"


def series_prefix(tags: SeriesTags) -> str:
    """Measurement and tag set of a line, tags in key order (InfluxDB's fast path).

    Identifiers are restricted to [a-z0-9_.-] by the data contract, so nothing needs escaping.
    """
    return (
        f"{tags.measurement},asset={tags.asset},building={tags.building},"
        f"room={tags.room},site={tags.site}"
    )


# (asset, signal) -> (its tags, everything of a plain reading's line before the value).
# Keyed by the pair, not the tags: hashing the tags of every series of every batch costs
# more than the formatting it saves.
_HEADS: dict[tuple[str, str], tuple[SeriesTags, str]] = {}
_HEADS_MAX = 1 << 17


def _heads(tags: dict[str, SeriesTags], series: list[tuple[str, str]]) -> list[str]:
    """Each series' line head; a gateway sends the same series batch after batch."""
    out = []
    for pair in series:
        known = tags[pair[0]]
        hit = _HEADS.get(pair)
        if hit is None or hit[0] is not known:  # new, or tags of another registry read
            if len(_HEADS) >= _HEADS_MAX:
                _HEADS.clear()
            if hit is not None and hit[0] == known:
                head = hit[1]
            else:
                head = f"{series_prefix(known)} {pair[1]}="
            hit = _HEADS[pair] = (known, head)
        out.append(hit[1])
    return out


def _joined(*parts: pa.Array | str) -> pa.Array:
    """Row-wise concatenation of string columns and constants (null where a part is)."""
    return pc.binary_join_element_wise(*parts, "")


def to_line_protocol(tags: dict[str, SeriesTags], rows: Rows) -> bytes:
    """One line per reading, millisecond timestamps; a reading without value or flags has
    nothing to store and no line."""
    if not len(rows):
        return b""
    index = pa.array(rows.index)
    value = pa.array(rows.value, from_pandas=True)  # NaN (no value) becomes null
    stamp = _stamps(rows.ts)
    if not rows.quality.any():  # the common case: one column of heads, one join
        heads = _heads(tags, rows.series)
        values = pc.cast(value, pa.string())
        lines = _joined(pc.take(pa.array(heads), index), values, stamp)
        return _data_of(lines if value.null_count == 0 else pc.filter(lines, pc.is_valid(value)))
    value_field = _joined(
        pc.take(pa.array([f"{s}=" for _, s in rows.series]), index),
        pc.cast(value, pa.string()),
    )
    quality = pa.array(rows.quality)
    flagged = pc.not_equal(quality, 0)
    quality_field = pc.if_else(
        flagged,
        _joined(
            pc.take(pa.array([f"{s}{QUALITY_SUFFIX}=" for _, s in rows.series]), index),
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
    prefixes = [series_prefix(tags[a]) + " " for a, _ in rows.series]
    prefix = pc.take(pa.array(prefixes), index)
    lines = pc.filter(_joined(prefix, fields, stamp), pc.or_(present, flagged))
    return _data_of(lines)


def _stamps(ts: npt.NDArray[np.int64]) -> pa.Array:
    """Each line's end: a space, the timestamp, a newline. A poll stamps all its signals
    alike and they travel together, so each run of one time is formatted once."""
    if not len(ts):
        return pa.array([], pa.string())
    starts = np.flatnonzero(np.concatenate(([True], ts[1:] != ts[:-1])))
    ends = _joined(" ", pc.cast(pa.array(ts[starts]), pa.string()), "\n")
    run = np.repeat(np.arange(len(starts), dtype=np.int32), np.diff(starts, append=len(ts)))
    return pc.take(ends, pa.array(run))


def _data_of(lines: pa.Array) -> bytes:
    """The concatenated characters of a string column without nulls: the slice of its data
    buffer its offsets span (no copy but the final one)."""
    if lines.null_count:
        lines = lines.drop_null()
    if not len(lines):
        return b""
    lines = lines.cast(pa.string())  # one offset width, whatever the kernels returned
    offsets = np.frombuffer(lines.buffers()[1], np.int32, len(lines) + 1, lines.offset * 4)
    return bytes(memoryview(lines.buffers()[2])[offsets[0] : offsets[-1]])
