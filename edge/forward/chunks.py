"""A spool chunk: readings committed together, stored as one row of packed columns."""

from __future__ import annotations

from array import array
from dataclasses import dataclass


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
