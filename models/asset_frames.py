"""Per-asset frames: each asset's signals on one regular time grid (missing samples are NaN)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
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


def build_frames(ds: Dataset, step_s: int = 600) -> list[AssetFrame]:
    """Every asset's frame on a shared grid of ``step_s`` from the first to the last sample.

    Samples are placed at the grid slot they fall in (the last one wins); a signal an asset
    never reports is left out of its frame. The telemetry is read a batch at a time into
    frames allocated up front, so memory is the frames' and one batch's.
    """
    tel = ds.telemetry
    if tel.num_rows == 0:
        return []
    first, last = tel.span
    t0 = first // step_s * step_s
    n_slots = (last - t0) // step_s + 1
    grid = t0 + step_s * np.arange(n_slots, dtype=np.int64)
    assets = tel.assets
    frames = [
        AssetFrame(
            asset=a,
            asset_class=ds.asset_classes.get(a, "unknown"),
            t=grid,
            signals=tel.signals_of[a],
            x=np.full((n_slots, len(tel.signals_of[a])), np.nan, dtype=np.float32),
        )
        for a in assets
    ]
    position = {a: i for i, a in enumerate(assets)}
    for c in tel.chunks():
        slot = ((c.ts - t0) // step_s).astype(np.int32)
        order, bounds = _groups(c.asset, len(c.asset_names))
        for code, name in enumerate(c.asset_names):
            lo, hi = int(bounds[code]), int(bounds[code + 1])
            if lo == hi:
                continue
            rows = order[lo:hi] if order is not None else slice(lo, hi)
            frame = frames[position[name]]
            column_of = np.array(
                [frame.signals.index(s) if s in frame.signals else -1 for s in c.signal_names],
                dtype=np.int64,
            )
            frame.x[slot[rows], column_of[c.signal[rows]]] = c.value[rows]
    return frames


def _groups(code: npt.NDArray[np.int32], n: int) -> tuple[npt.NDArray[np.int64] | None, I64]:
    """Rows of each code: (an order, or None when the rows are already grouped, as an export
    written asset by asset is) and the bounds of each code's run in that order."""
    bounds = np.concatenate([[0], np.cumsum(np.bincount(code, minlength=n))])
    if len(code) < 2 or bool((code[1:] >= code[:-1]).all()):
        return None, bounds
    return np.argsort(code, kind="stable"), bounds


def events_of(ds: Dataset, asset: str, kind: str) -> tuple[I64, list[str]]:
    """Times (epoch s, sorted) and modes of one asset's events of one kind."""
    ev = ds.events
    mask = pc.and_(pc.equal(ev.column("asset"), asset), pc.equal(ev.column("kind"), kind))
    sub = ev.filter(mask).sort_by("ts")
    return sub.column("ts").to_numpy().astype(np.int64), sub.column("mode").to_pylist()
