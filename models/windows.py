"""Window lengths, and windowed sums over (asset, time, signal) arrays by prefix sums.

Training evaluates many instants of one asset: prefix sums over the rows. Scoring evaluates
one instant of many assets: every window is whole hours, so hourly block sums suffice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Floats = npt.NDArray[np.floating[Any]]
Values = Floats | npt.NDArray[np.bool_]  # a boolean array is a 0/1 indicator


@dataclass(frozen=True)
class Windows:
    """Window lengths and the evaluation cadence."""

    step_s: int = 600
    short_h: float = 6.0
    day_h: float = 24.0
    baseline_days: float = 7.0
    every_h: float = 1.0

    def n(self, hours: float) -> int:
        """Grid samples in ``hours``."""
        return max(1, round(hours * 3600 / self.step_s))

    @property
    def longest_s(self) -> int:
        """History one evaluation needs (the older baseline ends three days before the instant)."""
        return int((self.baseline_days * 24 + 3 * self.day_h) * 3600)

    @property
    def slots(self) -> int:
        """Grid slots of a scoring window (the longest history plus the instant itself)."""
        return self.longest_s // self.step_s + 1

    @property
    def whole_hours(self) -> bool:
        """Whether every window is a whole number of evaluation blocks (hours)."""
        block = self.n(self.every_h)
        spans = (self.n(self.short_h), self.n(self.day_h), self.n(self.baseline_days * 24))
        return all(x % block == 0 for x in (*spans, self.n(self.day_h) // 2))


class RowSums:
    """Windowed sums by prefix sums: rows (i - lag - w, i - lag] for each evaluated i."""

    def __init__(self, values: Values, floor: I64 | None = None) -> None:
        """``values`` (time, column), a boolean array for a 0/1 indicator; ``floor``
        (row, column): each evaluated row's windows leave out the slots before it."""
        self.floor = floor
        # The sums run along time in (column, time) layout: the same additions in the same
        # order as along the first axis, at half the cost (contiguous memory).
        cols = values.T
        if values.dtype == np.bool_:  # an indicator has no gaps, and its squares are itself
            self.s1 = _prefix_along_time(np.ascontiguousarray(cols))
            self.s2 = self.s1
            ramp = np.arange(values.shape[0] + 1, dtype=np.float64)
            self.n = np.broadcast_to(ramp, (values.shape[1], len(ramp)))
            return
        ok = np.isfinite(cols)
        v = np.ascontiguousarray(np.where(ok, cols, 0.0), dtype=np.float64)
        self.s1 = _prefix_along_time(v)
        self.s2 = _prefix_along_time(v * v)
        self.n = _prefix_along_time(np.ascontiguousarray(ok))

    def window(self, idx: I64, w: int, lag: int = 0) -> tuple[F64, F64, F64]:
        """Mean, spread and count per evaluated row and column."""
        end = np.clip(idx + 1 - lag, 0, None)
        start = np.clip(end - w, 0, None)
        n, s1, s2 = ((a[:, end] - a[:, start]).T for a in (self.n, self.s1, self.s2))
        if self.floor is not None:
            # Only the rows whose window a floor cuts short are summed again from it.
            hit = np.flatnonzero((self.floor > start[:, None]).any(axis=1))
            if len(hit):
                end, start = end[hit], start[hit]
                cut = np.minimum(np.maximum(start[:, None], self.floor[hit]), end[:, None])
                col = np.arange(cut.shape[1])[None, :]
                for out, a in zip((n, s1, s2), (self.n, self.s1, self.s2), strict=True):
                    out[hit] = a[:, end].T - a[col, cut]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = s1 / n
            var = s2 / n - mean * mean
        return mean, np.sqrt(np.clip(var, 0.0, None)), n


def _prefix_along_time(a: npt.NDArray[Any]) -> F64:
    """Prefix sums of (column, time) along time, with a leading zero, as float64."""
    out = np.zeros((a.shape[0], a.shape[1] + 1))
    np.cumsum(a, axis=1, dtype=np.float64, out=out[:, 1:])
    return out


class BlockSums:
    """Windowed sums for one instant, from whole blocks of rows ending at it.

    Scoring needs only the last instant: summing each hour's rows first makes every window
    (all whole hours) a difference of a few block sums, equal to ``RowSums`` row for row.
    """

    def __init__(self, values: Values, end: int, block: int) -> None:
        # values: (asset, time, signal); sums come out in the (1, asset * signal) layout
        self.blocks, self.block = (end + 1) // block, block
        v = values[:, end + 1 - self.blocks * block : end + 1]
        ok = np.isfinite(v)
        v = np.where(ok, v, 0.0)
        self.s1 = _prefix(_per_block(v, block))
        self.s2 = _prefix(_per_block(v * v, block))
        self.n = _prefix(_per_block(ok.astype(v.dtype), block))

    def window(self, idx: I64, w: int, lag: int = 0) -> tuple[F64, F64, F64]:
        """Mean, spread and count at the instant."""
        end = max(self.blocks - lag // self.block, 0)
        start = max(end - w // self.block, 0)

        def between(a: F64) -> F64:
            return (a[:, end] - a[:, start]).reshape(1, -1).astype(np.float64)

        n = between(self.n)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = between(self.s1) / n
            var = between(self.s2) / n - mean * mean
        return mean, np.sqrt(np.clip(var, 0.0, None)), n


def _per_block(v: npt.NDArray[Any], block: int) -> F64:
    """Sums of consecutive ``block`` rows (axis 1); strided adds beat a reduction here."""
    out = v[:, 0::block].astype(np.float64)
    for k in range(1, block):
        out += v[:, k::block]
    return out


def _prefix(a: F64) -> F64:
    """Prefix sums along the block axis with a leading zero: (asset, blocks + 1, signal)."""
    out = np.zeros((a.shape[0], a.shape[1] + 1, a.shape[2]), dtype=a.dtype)
    np.cumsum(a, axis=1, out=out[:, 1:])
    return out


def grid(end_s: int, win: Windows) -> I64:
    """The grid of slots whose last one holds ``end_s``, long enough for every feature."""
    last = end_s // win.step_s * win.step_s
    return last - win.step_s * np.arange(win.slots - 1, -1, -1, dtype=np.int64)


class CutSums:
    """Windowed sums of many assets at one instant: by blocks, except the assets whose
    windows a maintenance cuts short, which are summed row by row."""

    def __init__(self, values: Values, end: int, block: int, floor: I64) -> None:
        # floor: (1, asset), from ``since_maintenance``
        self.blocks = BlockSums(values, end, block)
        self.hit = np.flatnonzero(floor[0])
        n_ch = values.shape[2]
        self.cols = (self.hit[:, None] * n_ch + np.arange(n_ch)).ravel()
        cut = np.repeat(floor[:, self.hit], n_ch, axis=1)
        self.rows = RowSums(flat_columns(values[self.hit]), cut)

    def window(self, idx: I64, w: int, lag: int = 0) -> tuple[F64, F64, F64]:
        """Mean, spread and count at the instant."""
        out = self.blocks.window(idx, w, lag)
        for whole, cut in zip(out, self.rows.window(idx, w, lag), strict=True):
            whole[:, self.cols] = cut
        return out


def window_sums(
    values: Values, idx: I64, win: Windows, floor: I64 | None = None
) -> RowSums | BlockSums | CutSums:
    """Window sums over (asset, time, signal) values: by blocks for one instant, else rows;
    ``floor`` (row, asset): the first slot each row's windows may use."""
    block = win.n(win.every_h)
    if len(idx) == 1 and win.whole_hours and idx[0] + 1 >= block:
        if floor is None:
            return BlockSums(values, int(idx[0]), block)
        return CutSums(values, int(idx[0]), block, floor)
    cut = None if floor is None else np.repeat(floor, values.shape[2], axis=1)
    return RowSums(flat_columns(values), cut)


def last_event(events: list[I64], at: I64) -> I64:
    """Per instant ``at`` (row) and asset, when the asset's last event at or before it
    happened (epoch s; -1 when none had)."""
    out = np.full((len(at), len(events)), -1, np.int64)
    if len(at) == 1:  # one instant of many assets (scoring): one pass over all their events
        owner = np.repeat(np.arange(len(events)), [len(e) for e in events])
        times = np.concatenate(events) if events else np.zeros(0, np.int64)
        before = times <= at[0]
        np.maximum.at(out[0], owner[before], times[before])
        return out
    for a, e in enumerate(events):
        if len(e) == 0:
            continue
        pos = np.searchsorted(e, at, side="right") - 1
        out[:, a] = np.where(pos >= 0, e[np.clip(pos, 0, None)], -1)
    return out


def since_maintenance(t: I64, last: I64, reach: I64) -> I64 | None:
    """Per evaluated row and asset, the first slot of grid ``t`` after the asset's last
    maintenance (``last``, from ``last_event``) where that falls after ``reach`` (the first
    slot the row's windows use); None when none does.

    A repair or service resets what is normal for an asset: windows ignore the slots before it.
    """
    slot = np.searchsorted(t, last, side="left")
    out = np.where((last >= 0) & (slot > reach[:, None]), slot, 0)
    return out if out.any() else None


def flat_columns(a: Values) -> Values:
    """(asset, time, signal) -> (time, asset * signal): one prefix sum serves every asset."""
    return a.transpose(1, 0, 2).reshape(a.shape[1], -1)


def per_asset(a: F64, n_assets: int) -> F64:
    """(rows, asset * signal) -> (asset, rows, signal)."""
    return a.reshape(a.shape[0], n_assets, -1).transpose(1, 0, 2)
