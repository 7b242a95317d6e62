"""The time-series store interface the rest of the cloud reads and writes through."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from plantwatch.contract import Batch

Aggregate = Literal["mean", "min", "max", "last"]


class StoreUnavailable(RuntimeError):
    """The store cannot take or serve data right now; the caller may retry later."""


@dataclass(frozen=True, slots=True)
class SeriesTags:
    """Where an asset's readings are filed: measurement (asset class) and location tags."""

    measurement: str
    site: str
    building: str
    room: str
    asset: str


@dataclass(frozen=True, slots=True)
class Sample:
    """One stored value (or aggregate) of one signal."""

    asset: str
    signal: str
    ts: datetime
    value: float | None
    quality: int = 0


class TimeSeriesStore(Protocol):
    """Durable storage of readings, with the reads scoring and dashboards need."""

    def write(self, tags: dict[str, SeriesTags], batch: Batch) -> None:
        """Store a batch durably; raise StoreUnavailable when that cannot be done now."""

    def latest(self, assets: Sequence[SeriesTags], at: datetime | None = None) -> list[Sample]:
        """Newest value of every signal of ``assets`` at or before ``at`` (default now)."""

    def window(
        self,
        assets: Sequence[SeriesTags],
        signals: Sequence[str] | None,
        start: datetime,
        end: datetime,
        step_s: int | None = None,
        aggregate: Aggregate = "mean",
    ) -> list[Sample]:
        """Values in ``[start, end)``: raw when ``step_s`` is None, else one per step."""

    def ping(self) -> bool:
        """True when the store answers."""

    def close(self) -> None:
        """Release connections."""
