"""A spool chunk: readings committed together, stored as one row of packed columns."""

from __future__ import annotations

import math
import time
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kernel.contract import Batch, Reading

CHUNK_MAX = 2000  # readings per chunk row
# (asset, signal, ts_ms, value, quality, ...): a contract Reading fits as it is.
Row = tuple[str, str, int, float | None, int] | Reading


@dataclass
class Chunk:
    """Readings committed together: consecutive sequence numbers, columns as packed arrays."""

    first_seq: int
    spooled_at: int
    series: array  # type: ignore[type-arg]
    ts: array  # type: ignore[type-arg]
    value: array  # type: ignore[type-arg]  # NaN stands for "no value" (the contract has no NaN)
    quality: array  # type: ignore[type-arg]

    @property
    def n(self) -> int:
        """Readings in the chunk."""
        return len(self.ts)

    @classmethod
    def load(cls, row: tuple[int, int, int, bytes, bytes, bytes, bytes]) -> Chunk:
        """A chunk from its table row."""
        first, _, at, series, ts, value, quality = row
        return cls(
            first, at, array("I", series), array("q", ts), array("d", value), array("I", quality)
        )

    def tail(self, from_seq: int) -> Chunk:
        """The readings from ``from_seq`` on."""
        k = from_seq - self.first_seq
        return Chunk(
            from_seq,
            self.spooled_at,
            self.series[k:],
            self.ts[k:],
            self.value[k:],
            self.quality[k:],
        )

    def head(self, upto_seq: int) -> Chunk:
        """The readings up to ``upto_seq``."""
        k = upto_seq - self.first_seq + 1
        return Chunk(
            self.first_seq,
            self.spooled_at,
            self.series[:k],
            self.ts[:k],
            self.value[:k],
            self.quality[:k],
        )

    def row(self) -> tuple[int, int, int, bytes, bytes, bytes, bytes]:
        """The table row of the chunk."""
        return (
            self.first_seq,
            self.n,
            self.spooled_at,
            self.series.tobytes(),
            self.ts.tobytes(),
            self.value.tobytes(),
            self.quality.tobytes(),
        )


def pack(readings: Sequence[Row], series: list[int], first: int, now: int) -> list[Chunk]:
    """Readings (with their series ids) as chunks of at most ``CHUNK_MAX``, numbered from
    sequence number ``first``, spooled at ``now`` (epoch ms)."""
    nan = math.nan
    ids = array("I", series)
    ts = array("q", [r[2] for r in readings])
    value = array("d", [nan if r[3] is None else r[3] for r in readings])
    quality = array("I", [r[4] for r in readings])
    return [
        Chunk(
            first + k,
            now,
            ids[k : k + CHUNK_MAX],
            ts[k : k + CHUNK_MAX],
            value[k : k + CHUNK_MAX],
            quality[k : k + CHUNK_MAX],
        )
        for k in range(0, len(readings), CHUNK_MAX)
    ]


@dataclass(frozen=True)
class Pending:
    """A batch taken from the spool and not yet acknowledged."""

    batch: Batch
    first_seq: int
    last_seq: int
    oldest_spooled_ms: int


def batch_end(
    chunks: Iterable[tuple[int, int]], first: int, max_readings: int, up_to: int | None
) -> int:
    """The last sequence number of the next batch from ``first``, given the (first sequence
    number, size) of the chunks from there in order: contiguous readings only (a gap left
    by dropped chunks ends the batch), at most ``max_readings``, none past ``up_to``."""
    last = first - 1
    for start, size in chunks:
        if start != last + 1:
            break
        last = start + size - 1
        if last - first + 1 >= max_readings:
            break
    last = min(last, first + max_readings - 1)
    return last if up_to is None else min(last, up_to)


def assemble(
    chunks: list[Chunk],
    first: int,
    last: int,
    gateway_id: str,
    batch_id: str,
    names: dict[int, tuple[str, str]],
) -> tuple[Batch, int]:
    """The batch of sequence numbers ``first``..``last`` from the chunks holding them, and
    when its oldest reading was spooled (epoch ms)."""
    cut = [c.tail(first) if c.first_seq < first else c for c in chunks]
    cut = [c.head(last) if c.first_seq + c.n - 1 > last else c for c in cut]
    series = [i for c in cut for i in c.series]
    keys: dict[int, int] = {}
    index = [keys.setdefault(sid, len(keys)) for sid in series]
    values = [v for c in cut for v in c.value]
    # Built from rows this gateway validated on the way in: no second validation pass.
    batch = Batch.model_construct(
        gateway_id=gateway_id,
        batch_id=batch_id,
        historical=False,
        contract_version=Batch.model_fields["contract_version"].default,
        series=[names[sid] for sid in keys],
        index=index,
        ts=[t for c in cut for t in c.ts],
        value=[None if v != v else v for v in values],
        quality=[q for c in cut for q in c.quality],
        seq=list(range(first, last + 1)),
        spool_id=batch_id.split("-", 1)[0],
    )
    oldest = min((c.spooled_at for c in cut), default=int(time.time() * 1000))
    return batch, oldest
