"""What makes two sendings of a batch the same: a digest of its contents, not its encoding.

A resend of a stored batch is acknowledged only when its contents are the same; a JSON body
and a packed one of the same readings have the same digest. Digests recorded before this
rule (plain hex, of the columns' JSON) are still compared by the rule they were made with.
"""

from __future__ import annotations

import hashlib

import numpy as np
import orjson

from cloud.incoming import Incoming
from kernel.contract import Batch

PREFIX = "c1:"


def content_digest(batch: Incoming) -> str:
    """SHA-256 of a batch's series and columns in one canonical binary form."""
    rows = batch.rows
    value = rows.value
    missing = np.isnan(value)
    if missing.any():  # one NaN for every "no value", whatever bits a sender used
        value = np.where(missing, np.nan, value)
    h = hashlib.sha256(orjson.dumps(rows.series))
    for column, dtype in (
        (rows.ts, "<i8"),
        (batch.seq, "<i8"),
        (value, "<f8"),
        (rows.index, "<u4"),
        (rows.quality, "<u4"),
    ):
        h.update(len(column).to_bytes(8, "little"))
        h.update(np.ascontiguousarray(column, dtype=dtype).data)
    # The record's column holds 64 characters: the prefix takes three of the hex digits
    # (244 bits of SHA-256 are still far beyond any accidental collision).
    return PREFIX + h.hexdigest()[: 64 - len(PREFIX)]


def _legacy_digest(batch: Batch) -> str:
    columns = (batch.series, batch.index, batch.ts, batch.value, batch.quality, batch.seq)
    return hashlib.sha256(orjson.dumps(columns)).hexdigest()


def same_contents(recorded: str, digest: str, batch: Incoming) -> bool:
    """True when ``batch`` (of digest ``digest``) carries what a recorded digest describes."""
    if recorded.startswith(PREFIX):
        return recorded == digest
    return recorded == _legacy_digest(batch.to_batch())
