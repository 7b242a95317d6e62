"""An ingest body, JSON or packed columns, to the batch it carries and its content digest.

A packed body is checked on whole arrays at once: the same rules the contract's JSON
validation applies reading by reading (``kernel.packed.unpack`` is that reference).
"""

from __future__ import annotations

import numpy as np
from pydantic import ValidationError

from cloud.api.errors import Rejected
from cloud.api.ingest_checks import MAX_LISTED, parse_batch, supported, validation_items
from cloud.batch_digest import content_digest
from cloud.incoming import Incoming
from cloud.storage.base import Rows
from kernel.contract import SMALL_MAX, BatchHead, head_fields
from kernel.packed import MEDIA_TYPE, PackedError, PackedHead, split

MEDIA_TYPES = ("application/json", MEDIA_TYPE)


def _malformed(problems: list[str]) -> Rejected:
    return Rejected(
        422,
        "malformed",
        f"{len(problems)} problem(s) in the packed batch",
        tuple(problems[:MAX_LISTED]),
    )


def _head(raw: bytes) -> tuple[PackedHead, dict[str, memoryview]]:
    try:
        return split(raw)
    except PackedError as exc:
        raise _malformed([str(exc)]) from exc
    except ValidationError as exc:
        raise Rejected(
            422,
            "malformed",
            f"{exc.error_count()} problem(s) in the packed batch's head",
            validation_items(exc),
        ) from exc


def parse_packed(raw: bytes) -> tuple[Incoming, str]:
    """The batch of a packed body and its content digest; refused with the problems listed."""
    head, columns = _head(raw)
    supported(head.contract_version)
    n = head.count
    ts = np.frombuffer(columns["ts"], "<i8")
    value = np.frombuffer(columns["value"], "<f8")
    index = np.frombuffer(columns["index"], "<u4")
    quality = np.frombuffer(columns["quality"], "<u4")
    if head.seq == "column":
        seq = np.frombuffer(columns["seq"], "<i8")
    elif head.seq == "range":
        seq = np.arange(head.seq_start, head.seq_start + n, dtype=np.int64)
    else:
        seq = np.empty(0, np.int64)
    problems = []
    if n and int(index.max()) >= len(head.series):
        problems.append(f"index: refers to series {index.max()}; there are {len(head.series)}")
    if n and int(quality.max()) > SMALL_MAX:
        problems.append(f"quality: {quality.max()} is above {SMALL_MAX}")
    if np.isinf(value).any():
        problems.append(f"value: row {int(np.flatnonzero(np.isinf(value))[0])} is infinite")
    if len(seq) and int(seq.min()) < 0:
        problems.append(f"seq: row {int(np.flatnonzero(seq < 0)[0])} is negative")
    if problems:
        raise _malformed(problems)
    # Every column was checked above, as the contract would check it one reading at a time.
    batch = Incoming(
        BatchHead.model_construct(**head_fields(head)),
        Rows(head.series, index, ts, value, quality),
        seq,
    )
    return batch, content_digest(batch)


def parse_ingest(media_type: str, raw: bytes) -> tuple[Incoming, str]:
    """The batch an ingest body carries and its content digest, by its media type (anything
    but the packed type is read as JSON, as before packed bodies existed)."""
    if media_type == MEDIA_TYPE:
        return parse_packed(raw)
    batch = Incoming.of(parse_batch(raw))
    return batch, content_digest(batch)
