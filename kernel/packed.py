"""A batch's columns as packed little-endian arrays behind a JSON head.

JSON spends most of a large batch's cost on its numbers: the gateway formats every one and
the cloud parses every one back. Here the gateway writes the arrays its spool already holds,
and the cloud reads them without a pass per reading. The layout::

    b"PWB1"  u32 head length  head (BatchHead JSON and the column layout, space-padded
                              so the columns start on a multiple of 8 bytes)
    ts       int64[count]     epoch milliseconds
    seq      int64[count]     only when the head says ``"seq": "column"``
    value    float64[count]   NaN for "no value" (the contract has no NaN of its own)
    index    uint32[count]
    quality  uint32[count]

The columns must fill the rest of the body exactly. Sent as ``MEDIA_TYPE``, gzipped like
JSON. ``unpack`` validates a body against the contract in full (the reference); the cloud
checks the same rules on whole arrays at once.
"""

from __future__ import annotations

import math
import struct
import sys
from array import array
from typing import Any, Literal

from pydantic import Field, model_validator

from kernel.contract import INT64_MAX, Batch, BatchHead, Seq, head_fields

MEDIA_TYPE = "application/vnd.plantwatch.batch"
MAGIC = b"PWB1"
_PREFIX = struct.Struct("<4sI")
MAX_HEAD_BYTES = 16 << 20
# (column, array typecode, bytes per item) in body order; "seq" only when sent as a column.
COLUMNS = (
    ("ts", "q", 8),
    ("seq", "q", 8),
    ("value", "d", 8),
    ("index", "I", 4),
    ("quality", "I", 4),
)


class PackedHead(BatchHead):
    """The head of a packed batch: the batch's own fields and how its columns are laid out."""

    count: int = Field(ge=0, le=INT64_MAX, description="Readings in the batch")
    seq: Literal["none", "range", "column"] = Field(
        default="none",
        description="none: no sequence numbers; range: seq_start, seq_start + 1, ...; "
        "column: an int64 column after ts",
    )
    seq_start: Seq = 0

    @model_validator(mode="after")
    def _range_fits(self) -> PackedHead:
        if self.seq == "range" and self.count and self.seq_start + self.count - 1 > INT64_MAX:
            raise ValueError("seq_start + count runs past 64 bits")
        return self

    def sizes(self) -> list[tuple[str, str, int]]:
        """(column, typecode, bytes) of the columns present, in body order."""
        return [
            (name, code, size * self.count)
            for name, code, size in COLUMNS
            if name != "seq" or self.seq == "column"
        ]


class PackedError(ValueError):
    """A body that is not a well-formed packed batch; the message says what is wrong."""


def _contiguous(seq: list[int]) -> bool:
    """True for 0 <= n, n + 1, n + 2, ... (what a spool numbers)."""
    return seq[0] >= 0 and seq == list(range(seq[0], seq[0] + len(seq)))


def pack(batch: Batch) -> bytes:
    """The packed body of a batch (not yet gzipped)."""
    n = len(batch)
    mode: Literal["none", "range", "column"] = (
        "none" if not batch.seq else "range" if _contiguous(batch.seq) else "column"
    )
    head = (
        PackedHead(
            **head_fields(batch),
            count=n,
            seq=mode,
            seq_start=batch.seq[0] if mode == "range" else 0,
        )
        .model_dump_json()
        .encode()
    )
    head += b" " * (-(len(head) + _PREFIX.size) % 8)
    columns: dict[str, array[Any]] = {
        "ts": array("q", batch.ts),
        "seq": array("q", batch.seq),
        "value": array("d", [math.nan if v is None else v for v in batch.value]),
        "index": array("I", batch.index),
        "quality": array("I", batch.quality),
    }
    parts = [_PREFIX.pack(MAGIC, len(head)), head]
    for name, _, _ in (c for c in COLUMNS if c[0] != "seq" or mode == "column"):
        column = columns[name]
        if sys.byteorder != "little":
            column.byteswap()
        parts.append(column.tobytes())
    return b"".join(parts)


def split(body: bytes) -> tuple[PackedHead, dict[str, memoryview]]:
    """The validated head and each column's bytes (views into ``body``); ``PackedError``
    when the framing is wrong, ``ValidationError`` when the head breaks the contract."""
    if len(body) < _PREFIX.size:
        raise PackedError(f"body of {len(body)} bytes is shorter than the packed prefix")
    magic, head_len = _PREFIX.unpack_from(body)
    if magic != MAGIC:
        raise PackedError(f"body starts with {magic!r}, not {MAGIC!r}")
    if head_len > min(MAX_HEAD_BYTES, len(body) - _PREFIX.size):
        raise PackedError(f"head of {head_len} bytes does not fit the body")
    view = memoryview(body)
    offset = _PREFIX.size + head_len
    head = PackedHead.model_validate_json(body[_PREFIX.size : offset])
    sizes = head.sizes()
    expected = offset + sum(size for _, _, size in sizes)
    if expected != len(body):
        raise PackedError(
            f"{head.count} readings need {expected - offset} bytes of columns; "
            f"the body has {len(body) - offset}"
        )
    columns: dict[str, memoryview] = {}
    for name, _, size in sizes:
        columns[name] = view[offset : offset + size]
        offset += size
    return head, columns


def _array(code: str, data: memoryview) -> array[Any]:
    column: array[Any] = array(code)
    column.frombytes(data)
    if sys.byteorder != "little":
        column.byteswap()
    return column


def unpack(body: bytes) -> Batch:
    """The batch a packed body carries, validated against the contract like a JSON one."""
    head, columns = split(body)
    lists = {name: _array(code, columns[name]).tolist() for name, code, _ in head.sizes()}
    if head.seq == "range":
        lists["seq"] = list(range(head.seq_start, head.seq_start + head.count))
    lists["value"] = [None if v != v else v for v in lists["value"]]
    fields = head_fields(head)
    return Batch.model_validate(fields | lists)
