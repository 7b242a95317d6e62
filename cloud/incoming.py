"""A batch as the cloud handles it: what it says about itself, and its readings as arrays.

A JSON body and a packed one become the same ``Incoming``; the checks, the digest, the
record and the stores work on its arrays, never on a Python object per reading.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cloud.storage.base import Rows
from kernel.contract import Batch, BatchHead, head_fields


@dataclass(frozen=True)
class Incoming:
    """A received batch: its head, its readings, and their sequence numbers (or none)."""

    head: BatchHead
    rows: Rows
    seq: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.rows)

    @classmethod
    def of(cls, batch: Batch) -> Incoming:
        """A batch held as lists (a JSON body)."""
        head = BatchHead.model_construct(**head_fields(batch))
        return cls(head, Rows.of(batch), np.array(batch.seq, dtype=np.int64))

    def to_batch(self) -> Batch:
        """The same batch held as lists."""
        return Batch.model_construct(
            **head_fields(self.head),
            index=self.rows.index.tolist(),
            ts=self.rows.ts.tolist(),
            value=self.rows.values(),
            quality=self.rows.quality.tolist(),
            seq=self.seq.tolist(),
        )

    def take(self, keep: npt.NDArray[np.bool_]) -> Incoming:
        """The batch with only the readings where ``keep`` is true."""
        return Incoming(
            self.head, self.rows.take(keep), self.seq[keep] if len(self.seq) else self.seq
        )

    @property
    def seq_range(self) -> tuple[int, int] | None:
        """The lowest and highest sequence number (None without any)."""
        return (int(self.seq.min()), int(self.seq.max())) if len(self.seq) else None

    @property
    def oldest_ms(self) -> int | None:
        """The time of the oldest reading (None for an empty batch)."""
        return int(self.rows.ts.min()) if len(self.rows) else None
