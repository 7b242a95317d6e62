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


def page(p: F64, at: I64, lowest: I64, span: int) -> tuple[F64, F64]:
    """The CUSUM and its run length in blocks at boundaries ``at``.

    ``p``: (asset, boundary, channel) cumulative sums of ``block_means`` (0 at the first
    boundary); ``at``: (asset, row) the boundary of each evaluated instant; ``lowest``: the
    same shape, the first boundary its window may use (after the last maintenance). The
    statistic is ``p[at] - min(p[b])`` over ``b`` from ``max(at - span, lowest)`` to
    ``at``; the run counts the blocks since the latest such minimum (0 when the sum is 0).
    """
    a = np.arange(p.shape[0])[:, None]
    now = p[a, at]  # (asset, row, channel)
    low, run = now.copy(), np.zeros(now.shape)
    first = np.maximum(at - span, lowest)
    for lag in range(1, span + 1):
        b = at - lag
        ok = (b >= first)[..., None]
        if not ok.any():
            break
        cand = p[a, np.maximum(b, 0)]
        better = ok & (cand < low)  # strict: ties keep the latest boundary
        low = np.where(better, cand, low)
        run = np.where(better, float(lag), run)
    s = now - low
    return s, np.where(s > 0, run, 0.0)
