"""Failure-mode signatures: the direction in which each failure mode moves a class's residuals.

A fault moves several signals at once, each by little at first, and a tree model looks at
one feature at a time. Projecting each residual vector on a mode's Fisher discriminant (the
mean shift before that mode's failures, whitened by the covariance of normal rows) adds one
channel per mode in which an early fault stands out of the noise sooner than in any single
signal. The channels are fitted from events before the training cut only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from models.asset_frames import AssetFrame
from models.labels import make_labels
from models.normalise import ClassNormaliser
from models.portable_linalg import covariance, dot, matvec, solve
from models.threads import fixed_threads

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

LATE_H = 12.0  # rows this close before a failure show its mode's direction clearly
MIN_FAILURES = 3  # a mode seen fewer times before the cut gets no channel
RIDGE = 0.05  # of the mean variance: keeps the whitening stable with few signals
EVERY = 3  # rows subsampled for the fit


@fixed_threads
def fit_signatures(
    norm: ClassNormaliser,
    frames: Iterable[tuple[AssetFrame, I64, list[str], I64]],
    until: int | None = None,
) -> ClassNormaliser:
    """The normaliser with one signature channel per failure mode seen often enough.

    ``frames``: each asset's frame with its failures, their modes and their repairs.
    """
    if len(norm.analog) < 2:
        return norm
    normal: list[F64] = []
    late: dict[str, list[F64]] = {}
    counts: dict[str, int] = {}
    for frame, failures, modes, repaired in frames:
        keep = failures < until if until is not None else np.ones(len(failures), bool)
        failures, repaired = failures[keep], repaired[keep]
        modes = [m for m, k in zip(modes, keep, strict=True) if k]
        n = int(np.searchsorted(frame.t, until)) if until is not None else len(frame.t)
        picked = slice(0, n, EVERY)
        t = frame.t[picked]
        if len(t) == 0:
            continue
        part = AssetFrame(frame.asset, frame.asset_class, t, frame.signals, frame.x[picked])
        resid = norm.residuals(part).astype(np.float64)
        lab = make_labels(t, failures, repaired)
        ok = lab.usable & np.isfinite(resid).all(axis=1)
        normal.append(resid[ok & lab.settled()])
        ahead = np.array([*modes, ""], dtype=object)[lab.next_failure]
        for m in set(modes):
            counts[m] = counts.get(m, 0) + modes.count(m)
            late.setdefault(m, []).append(
                resid[ok & (ahead == m) & (lab.hours_to_failure <= LATE_H)]
            )
    if not normal:
        return norm
    base = np.vstack(normal)
    if len(base) < 10 * len(norm.analog):
        return norm
    mu0 = base.mean(axis=0)
    cov = covariance(base)
    cov += RIDGE * float(np.trace(cov)) / len(cov) * np.eye(len(cov))
    names, weights = [], []
    for m in sorted(late):
        rows = np.vstack(late[m])
        if counts[m] < MIN_FAILURES or len(rows) < 10:
            continue
        w = solve(cov, rows.mean(axis=0) - mu0)
        sd = float(np.sqrt(dot(w, matvec(cov, w))))
        if sd > 0:
            names.append(m)
            weights.append(w / sd)
    if not names:
        return norm
    w = np.vstack(weights)
    return replace(norm, sig_modes=names, sig_w=w, sig_b=matvec(w, mu0))
