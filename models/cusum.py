"""Page's CUSUM of each failure-mode signature channel over the hours of a scoring window.

A fault that has just begun moves its signature by less than the noise of any one window,
but it moves it the same way every hour. The cumulative sum of hourly means above a
reference level ``K`` (in units of the channel's normal spread), restarted at its lowest
point, adds that evidence up: it stays near zero on a healthy asset and climbs steadily
once a fault starts, and the hours since its lowest point estimate how long the fault has
been growing. Both are read inside the scoring window and after the last maintenance, so
whole-window scoring, online rounds and training agree.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

CUSUM_FEATURES = ("cusum", "cusum_run")
K = 1.0  # reference level: an hour's mean above this counts as evidence of a fault


def block_means(s1: F64, n: F64) -> F64:
    """Hourly means minus ``K`` from sums and counts between consecutive block boundaries;
    an hour without readings adds nothing."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, s1 / n - K, 0.0)


def page(p: F64, at: I64, lowest: I64) -> tuple[F64, F64]:
    """The CUSUM and its run length in blocks at boundaries ``at``.

    ``p``: (asset, boundary, channel) cumulative sums of ``block_means`` (0 at the first
    boundary); ``at``: (asset, row) the last boundary at or before each evaluated instant;
    ``lowest``: the same shape, the first boundary its window may use (inside the window,
    after the last maintenance). The statistic is the sum now less its lowest value since
    ``lowest``; the run counts the blocks since the latest such low (0 when it is 0).
    """
    a = np.arange(len(p))[:, None]
    now = p[a, at]
    if at.shape[1] == 1 and (at == at[0, 0]).all():
        return _one_instant(p, int(at[0, 0]), lowest[:, 0], now)
    lo = np.minimum(lowest, at)  # a window that starts after ``at`` holds ``at`` alone
    low, where = range_min(p, lo, at)
    return _result(now, low, (at[..., None] - where).astype(np.float64))


def range_min(p: F64, lo: I64, hi: I64) -> tuple[F64, I64]:
    """The least ``p[a, lo..hi, c]`` (``lo <= hi``, both ends in) and the latest boundary
    holding it, per (asset, row): (asset, row, channel) values and boundaries.

    A sparse table: level ``j`` holds the least of each run of ``2**j`` boundaries, and a
    range is two overlapping runs of the largest such length, so a year of hourly
    boundaries with week-long windows costs eight passes instead of one per hour.
    """
    n_a, n_b, n_c = p.shape
    vals, idxs = [p], [np.broadcast_to(np.arange(n_b)[None, :, None], p.shape)]
    span = 1
    while 2 * span <= int((hi - lo).max(initial=0)) + 1:
        v, i = vals[-1], idxs[-1]
        later_v, later_i = v[:, span:], i[:, span:]
        take = later_v <= v[:, :-span]  # ties: the later run, whose low is the latest
        vals.append(np.where(take, later_v, v[:, :-span]))
        idxs.append(np.where(take, later_i, i[:, :-span]))
        span *= 2
    level = np.floor(np.log2(hi - lo + 1)).astype(np.int64)
    a = np.arange(n_a)[:, None]
    low = np.empty((*lo.shape, n_c))
    arg = np.empty((*lo.shape, n_c), dtype=np.int64)
    for j in np.unique(level):
        m = level == j
        am, first, second = np.broadcast_to(a, lo.shape)[m], lo[m], hi[m] - (1 << j) + 1
        v1, v2 = vals[j][am, first], vals[j][am, second]
        take = v2 <= v1
        low[m] = np.where(take, v2, v1)
        arg[m] = np.where(take, idxs[j][am, second], idxs[j][am, first])
    return low, arg


def _one_instant(p: F64, at: int, lowest: I64, now: F64) -> tuple[F64, F64]:
    """``page`` for many assets at one boundary: every boundary at once, latest first."""
    back = p[:, at::-1]  # (asset, lag, channel)
    best = back.argmin(axis=1)  # the first lag, so the latest of ties
    low = np.take_along_axis(back, best[:, None], axis=1)[:, 0]
    cut = np.flatnonzero(lowest > 0)  # windows that start after the first boundary
    if len(cut):
        late = np.arange(back.shape[1])[None, :] > (at - lowest[cut])[:, None]
        sub = np.where(late[..., None], np.inf, back[cut])
        best[cut] = sub.argmin(axis=1)
        low[cut] = np.take_along_axis(sub, best[cut][:, None], axis=1)[:, 0]
    better = low[:, None] < now
    return _result(now, np.where(better, low[:, None], now), best[:, None].astype(np.float64))


def _result(now: F64, low: F64, run: F64) -> tuple[F64, F64]:
    s = now - low
    return s, np.where(s > 0, run, 0.0)
