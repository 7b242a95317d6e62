"""Telemetry in long format (asset, signal, ts, value), read batch by batch.

A year of a large fleet is 10^8 readings: held whole as Arrow columns it is gigabytes, while
the frames the models use hold a tenth of that. A Parquet file is therefore read twice,
batch by batch, never whole: once when the dataset is loaded (checked, and summed up: span,
assets, each asset's signals, rows) and once more to fill the frames. CSV files, and tables
built in memory, are held as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

BATCH_ROWS = 1 << 20


class DataError(ValueError):
    """A dataset that cannot be used, naming the file and the problem."""


@dataclass(frozen=True)
class Chunk:
    """One batch of readings: asset and signal names by code, epoch-second times, values."""

    asset_names: list[str]
    asset: npt.NDArray[np.int32]
    signal_names: list[str]
    signal: npt.NDArray[np.int32]
    ts: npt.NDArray[np.int64]
    value: npt.NDArray[np.float32]


def epoch_seconds(path: Path, col: pa.Array | pa.ChunkedArray, name: str) -> pa.Array:
    """A time column as int64 epoch seconds; naive or unparsable times are refused."""
    if pa.types.is_null(col.type):  # an empty file
        return pa.array([None] * len(col), pa.int64())
    if pa.types.is_timestamp(col.type) and col.type.tz is None:
        raise DataError(
            f"{path}: column {name}: timestamps must be RFC 3339 with a time "
            "zone, e.g. 2025-01-01T00:00:00+00:00"
        )
    if pa.types.is_timestamp(col.type):
        unit = {"s": 1, "ms": 1000, "us": 10**6, "ns": 10**9}[col.type.unit]
        return pc.cast(pc.divide(pc.cast(col, pa.int64()), unit), pa.int64())
    if pa.types.is_integer(col.type):
        return pc.cast(col, pa.int64())
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        try:
            parsed = pc.strptime(col, format="%Y-%m-%dT%H:%M:%S%z", unit="s")
        except pa.ArrowInvalid as exc:
            raise DataError(
                f"{path}: column {name}: timestamps must be RFC 3339 with a "
                f"time zone, e.g. 2025-01-01T00:00:00+00:00 ({exc})"
            ) from exc
        return pc.cast(pc.cast(parsed, pa.int64()), pa.int64())
    raise DataError(f"{path}: column {name} has type {col.type}; expected timestamps")


def _codes(col: pa.Array | pa.ChunkedArray) -> tuple[list[str], npt.NDArray[np.int32]]:
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if not pa.types.is_dictionary(col.type):
        col = pc.dictionary_encode(pc.cast(col, pa.string()))
    return (
        pc.cast(col.dictionary, pa.string()).to_pylist(),
        np.asarray(col.indices.to_numpy(zero_copy_only=False), dtype=np.int32),
    )


class Telemetry:
    """The readings of a dataset, checked and summed up once, then read batch by batch."""

    def __init__(self, path: Path, source: pq.ParquetFile | pa.Table) -> None:
        self.path = path
        self._source = source
        lo, hi, rows = None, None, 0
        signals: dict[str, set[str]] = {}
        for c in self.chunks(values=False):
            rows += len(c.ts)
            if len(c.ts):
                lo = int(c.ts.min()) if lo is None else min(lo, int(c.ts.min()))
                hi = int(c.ts.max()) if hi is None else max(hi, int(c.ts.max()))
            n_sig = len(c.signal_names)
            seen = np.bincount(c.asset.astype(np.int64) * n_sig + c.signal)
            for p in np.flatnonzero(seen).tolist():
                signals.setdefault(c.asset_names[p // n_sig], set()).add(c.signal_names[p % n_sig])
        self.num_rows = rows
        self.span = (lo or 0, hi or 0)
        self.signals_of = {a: tuple(sorted(s)) for a, s in sorted(signals.items())}

    @classmethod
    def in_memory(cls, table: pa.Table, path: Path = Path("<memory>")) -> Telemetry:
        """Telemetry held as a table (CSV files, tests)."""
        return cls(path, table)

    @property
    def assets(self) -> list[str]:
        """Every asset with readings, sorted."""
        return list(self.signals_of)

    def chunks(self, values: bool = True) -> Iterator[Chunk]:
        """The readings in file order, a batch at a time (``values=False``: without their
        values, which are then NaN)."""
        columns = ["asset", "signal", "ts", "value"] if values else ["asset", "signal", "ts"]
        if isinstance(self._source, pq.ParquetFile):
            batches = self._source.iter_batches(batch_size=BATCH_ROWS, columns=columns)
        else:
            batches = iter(self._source.select(columns).to_batches(max_chunksize=BATCH_ROWS))
        for b in batches:
            asset_names, asset = _codes(b.column(0))
            signal_names, signal = _codes(b.column(1))
            ts = np.asarray(
                epoch_seconds(self.path, b.column(2), "ts").to_numpy(zero_copy_only=False)
            )
            value = (
                pc.cast(b.column(3), pa.float32()).to_numpy(zero_copy_only=False)
                if values
                else np.full(len(b), np.nan, dtype=np.float32)
            )
            yield Chunk(asset_names, asset, signal_names, signal, ts.astype(np.int64), value)
