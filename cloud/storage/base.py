"""The time-series store interface the rest of the cloud reads and writes through."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from kernel.contract import Batch

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


@dataclass(frozen=True)
class Rows:
    """Readings to store, as columns: reading ``i`` is ``series[index[i]]`` at ``ts[i]``
    (epoch ms) with ``value[i]`` (NaN: no value) and ``quality[i]``."""

    series: list[tuple[str, str]]
    index: npt.NDArray[np.uint32]
    ts: npt.NDArray[np.int64]
    value: npt.NDArray[np.float64]
    quality: npt.NDArray[np.uint32]

    def __len__(self) -> int:
        return len(self.index)

    @classmethod
    def of(cls, batch: Batch) -> Rows:
        """The readings of a batch held as lists."""
        return cls(
            batch.series,
            np.array(batch.index, dtype=np.uint32),
            np.array(batch.ts, dtype=np.int64),
            np.array(batch.value, dtype=np.float64),  # None becomes NaN
            np.array(batch.quality, dtype=np.uint32),
        )

    def values(self) -> list[float | None]:
        """The values as Python floats, None where there is none."""
        values: list[float | None] = self.value.tolist()
        for row in np.flatnonzero(np.isnan(self.value)).tolist():
            values[row] = None
        return values

    def take(self, keep: npt.NDArray[np.bool_]) -> Rows:
        """The readings where ``keep`` is true, and only the series they are of."""
        used, index = np.unique(self.index[keep], return_inverse=True)
        return Rows(
            [self.series[i] for i in used.tolist()],
            index.astype(np.uint32),
            self.ts[keep],
            self.value[keep],
            self.quality[keep],
        )


@dataclass(frozen=True)
class Columns:
    """Many values at once: series (asset, signal), and per value its series, time, value."""

    series: list[tuple[str, str]]
    index: npt.NDArray[np.int64]
    ts_ms: npt.NDArray[np.int64]
    value: npt.NDArray[np.float64]  # NaN where the store holds no value


def columns_of(samples: Sequence[Sample]) -> Columns:
    """Samples as columns (for stores without a columnar read of their own)."""
    keys: dict[tuple[str, str], int] = {}
    index = [keys.setdefault((s.asset, s.signal), len(keys)) for s in samples]
    return Columns(
        list(keys),
        np.array(index, dtype=np.int64),
        np.array([round(s.ts.timestamp() * 1000) for s in samples], dtype=np.int64),
        np.array([np.nan if s.value is None else s.value for s in samples], dtype=np.float64),
    )


class ColumnsFromSamples:
    """``window_columns`` for stores whose reads return samples (InfluxDB, VictoriaMetrics)."""

    def window_columns(
        self: TimeSeriesStore,
        assets: Sequence[SeriesTags],
        start: datetime,
        end: datetime,
        step_s: int,
        aggregate: Aggregate = "last",
    ) -> Columns:
        """Aggregates per step as columns."""
        return columns_of(self.window(assets, None, start, end, step_s, aggregate))


class TimeSeriesStore(Protocol):
    """Durable storage of readings, with the reads scoring and dashboards need."""

    def write(self, tags: dict[str, SeriesTags], rows: Rows) -> None:
        """Store readings durably; raise StoreUnavailable when that cannot be done now."""

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

    def window_columns(
        self,
        assets: Sequence[SeriesTags],
        start: datetime,
        end: datetime,
        step_s: int,
        aggregate: Aggregate = "last",
    ) -> Columns:
        """Every signal's aggregates per step in ``[start, end)``, as columns (for scoring)."""

    def ping(self) -> bool:
        """True when the store answers."""

    def close(self) -> None:
        """Release connections."""
