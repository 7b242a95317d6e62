"""Per-asset frames: each asset's signals on one regular time grid (missing samples are NaN)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from models.data import Dataset

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class AssetFrame:
    """One asset: grid times (epoch s), signal names and a (time x signal) value matrix."""

    asset: str
    asset_class: str
    t: I64
    signals: tuple[str, ...]
    x: F32

    def column(self, signal: str) -> F32:
        """One signal's values (NaN where the grid has no sample)."""
        return self.x[:, self.signals.index(signal)]


def _codes(col: pa.ChunkedArray) -> tuple[npt.NDArray[np.int32], list[str]]:
    arr = col.combine_chunks()
    return (
        np.asarray(arr.indices.to_numpy(zero_copy_only=False), dtype=np.int32),
        arr.dictionary.to_pylist(),
    )


def _groups(code: npt.NDArray[np.int32], n: int) -> tuple[npt.NDArray[np.int64] | None, I64]:
    """Rows of each code: (an order, or None when the rows are already grouped, as an export
    written asset by asset is) and the bounds of each code's run in that order."""
    bounds = np.concatenate([[0], np.cumsum(np.bincount(code, minlength=n))])
    if len(code) < 2 or bool((code[1:] >= code[:-1]).all()):
        return None, bounds
    return np.argsort(code, kind="stable"), bounds


def build_frames(ds: Dataset, step_s: int = 600) -> list[AssetFrame]:
    """Every asset's frame on a shared grid of ``step_s`` from the first to the last sample.

    Samples are placed at the grid slot they fall in (the last one wins); a signal an asset
    never reports is left out of its frame.
    """
    tel = ds.telemetry
    if tel.num_rows == 0:
        return []
    a_code, a_names = _codes(tel.column("asset"))
    s_code, s_names = _codes(tel.column("signal"))
    # A year of a large fleet is 10^8 readings: every column is converted once, in place
    # where it can be, and in the narrowest type that holds it.
    value = pc.cast(tel.column("value"), pa.float32()).to_numpy(zero_copy_only=False)
    ts = np.asarray(tel.column("ts").to_numpy(), dtype=np.int64)
    if not ts.flags.writeable:  # one chunk comes without a copy, read-only
        ts = ts.copy()
    t0 = int(ts.min()) // step_s * step_s
    n_slots = (int(ts.max()) - t0) // step_s + 1
    grid = t0 + step_s * np.arange(n_slots, dtype=np.int64)
    ts -= t0
    ts //= step_s
    slot = ts.astype(np.int32)
    del ts
    order, bounds = _groups(a_code, len(a_names))
    frames = []
    for code, name in enumerate(a_names):
        first, end = int(bounds[code]), int(bounds[code + 1])
        if first == end:
            continue
        rows = order[first:end] if order is not None else slice(first, end)
        sig = s_code[rows]
        present = np.unique(sig)
        column_of = np.full(len(s_names), -1, dtype=np.int64)
        column_of[present] = np.arange(len(present))
        x = np.full((n_slots, len(present)), np.nan, dtype=np.float32)
        x[slot[rows], column_of[sig]] = value[rows]
        frames.append(
            AssetFrame(
                asset=name,
                asset_class=ds.asset_classes.get(name, "unknown"),
                t=grid,
                signals=tuple(s_names[i] for i in present),
                x=x,
            )
        )
    return sorted(frames, key=lambda f: f.asset)


def events_of(ds: Dataset, asset: str, kind: str) -> tuple[I64, list[str]]:
    """Times (epoch s, sorted) and modes of one asset's events of one kind."""
    ev = ds.events
    mask = pc.and_(pc.equal(ev.column("asset"), asset), pc.equal(ev.column("kind"), kind))
    sub = ev.filter(mask).sort_by("ts")
    return sub.column("ts").to_numpy().astype(np.int64), sub.column("mode").to_pylist()
