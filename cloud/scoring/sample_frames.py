"""From stored samples to the models' per-asset frames (pure)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from cloud.storage.base import Columns, Sample, columns_of
from cloud.storage.buckets import in_series_order
from models.asset_frames import AssetFrame
from models.windows import grid

__all__ = ["carry_forward", "frames_from_columns", "frames_from_samples", "grid"]


def frames_from_samples(
    samples: Iterable[Sample], classes: dict[str, str], t: np.ndarray, step_s: int
) -> list[AssetFrame]:
    """One frame per asset in ``classes`` on grid ``t``; a sample lands in the slot it falls in.

    Several samples in one slot (a resend, a faster poll) leave the newest, so data delivered
    twice changes nothing. Assets without samples get frames of NaN (scored as missing data).
    """
    return frames_from_columns(columns_of(list(samples)), classes, t, step_s)


def carry_forward(frame: AssetFrame, t: np.ndarray, recent: AssetFrame) -> AssetFrame:
    """``frame`` moved onto grid ``t`` with the slots ``recent`` covers replaced by it.

    ``recent`` is a fresh read of the last slots of ``t``: values it holds win, slots it
    covers but has no value for become missing (so a re-read is exactly a full read there).
    """
    n = len(t)
    signals = tuple(sorted(set(frame.signals) | set(recent.signals)))
    x = np.full((n, len(signals)), np.nan, dtype=np.float32)
    step = int(t[1] - t[0]) if n > 1 else 1
    shift = int((t[0] - frame.t[0]) // step) if len(frame.t) else n
    keep = max(0, min(len(frame.t) - shift, n))
    if keep:
        cols = [signals.index(s) for s in frame.signals]
        x[:keep, cols] = frame.x[shift : shift + keep]
    first = n - len(recent.t)
    x[first:] = np.nan
    if len(recent.t):
        cols = [signals.index(s) for s in recent.signals]
        x[first:, cols] = recent.x
    return AssetFrame(frame.asset, frame.asset_class, t, signals, x)


def frames_from_columns(
    cols: Columns, classes: dict[str, str], t: np.ndarray, step_s: int
) -> list[AssetFrame]:
    """One frame per asset in ``classes`` on grid ``t`` from a store's columnar read (the
    newest value per slot wins; assets without values get frames of NaN)."""
    t0, n = int(t[0]), len(t)
    ts_s = cols.ts_ms // 1000
    slot = (ts_s - t0) // step_s
    ok = (slot >= 0) & (slot < n) & np.isfinite(cols.value)
    index, ts_ms, slot, value = cols.index[ok], cols.ts_ms[ok], slot[ok], cols.value[ok]
    if not in_series_order(index, ts_ms):  # newest last: it is written last
        order = np.lexsort((ts_ms, index))
        index, slot, value = index[order], slot[order], value[order]
    by_asset: dict[str, list[int]] = {a: [] for a in classes}
    for i, (asset, _) in enumerate(cols.series):
        if asset in by_asset:
            by_asset[asset].append(i)
    bounds = np.searchsorted(index, np.arange(len(cols.series) + 1))
    out = []
    for asset, cls in classes.items():
        mine = sorted(by_asset[asset], key=lambda i: cols.series[i][1])
        mine = [i for i in mine if bounds[i + 1] > bounds[i]]
        signals = tuple(cols.series[i][1] for i in mine)
        x = np.full((n, len(signals)), np.nan, dtype=np.float32)
        for j, i in enumerate(mine):
            lo, hi = bounds[i], bounds[i + 1]
            x[slot[lo:hi], j] = value[lo:hi]
        out.append(AssetFrame(asset, cls, t, signals, x))
    return out
