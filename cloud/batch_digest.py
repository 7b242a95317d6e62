"""What makes two sendings of a batch the same: a digest of its contents, not its encoding.

A resend of a stored batch is acknowledged only when its contents are the same; a JSON body
and a packed one of the same readings have the same digest. Digests recorded before this
rule (plain hex, of the columns' JSON) are still compared by the rule they were made with.
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt
import orjson

from kernel.contract import Batch

PREFIX = "c1:"


def content_digest(
    series: list[tuple[str, str]],
    ts: npt.NDArray[np.int64],
    seq: npt.NDArray[np.int64],
    value: npt.NDArray[np.float64],
    index: npt.NDArray[np.uint32],
    quality: npt.NDArray[np.uint32],
) -> str:
    """SHA-256 of a batch's series and columns in one canonical binary form."""
    missing = np.isnan(value)
    if missing.any():  # one NaN for every "no value", whatever bits a sender used
        value = np.where(missing, np.nan, value)
    h = hashlib.sha256(orjson.dumps(series))
    for column, dtype in (
        (ts, "<i8"),
        (seq, "<i8"),
        (value, "<f8"),
        (index, "<u4"),
        (quality, "<u4"),
    ):
        h.update(len(column).to_bytes(8, "little"))
        h.update(np.ascontiguousarray(column, dtype=dtype).data)
    # The record's column holds 64 characters: the prefix takes three of the hex digits
    # (244 bits of SHA-256 are still far beyond any accidental collision).
    return PREFIX + h.hexdigest()[: 64 - len(PREFIX)]


def digest_of(batch: Batch) -> str:
    """The content digest of a batch held as lists (a JSON body)."""
    return content_digest(
        batch.series,
        np.array(batch.ts, dtype=np.int64),
        np.array(batch.seq, dtype=np.int64),
        np.array(batch.value, dtype=np.float64),  # None becomes NaN
        np.array(batch.index, dtype=np.uint32),
        np.array(batch.quality, dtype=np.uint32),
    )


def _legacy_digest(batch: Batch) -> str:
    columns = (batch.series, batch.index, batch.ts, batch.value, batch.quality, batch.seq)
    return hashlib.sha256(orjson.dumps(columns)).hexdigest()


def same_contents(recorded: str, digest: str, batch: Batch) -> bool:
    """True when ``batch`` (of digest ``digest``) carries what a recorded digest describes."""
    if recorded.startswith(PREFIX):
        return recorded == digest
    return recorded == _legacy_digest(batch)
