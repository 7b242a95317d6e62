"""Rolling-window features, one implementation for training and online scoring.

Windows summarise each asset's normalised residuals (``models.normalise``) at every
evaluation instant: levels, spread, slope, and change against the asset's own baseline (the
week before the last day), with the share of missing and flagged samples; the failure-mode
signature channels also get their CUSUM over the window's hours (``models.cusum``).
Everything is cumulative sums over numpy arrays, so a year of an asset costs milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from models.asset_frames import AssetFrame
from models.cusum import CUSUM_FEATURES, block_means, page
from models.normalise import ClassNormaliser, column_of
from models.windows import Windows, last_event, per_asset, since_maintenance, window_sums

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

ANALOG_FEATURES = (
    "m6",
    "m24",
    "d6",
    "d24",
    "d6_old",
    "slope",
    "slope48",
    "spread",
    "missing",
    "stuck",
)
# A failure-mode signature channel repeats its signals' data quality: levels and changes only.
SIGNATURE_FEATURES = ("m6", "d6", "d24", "d6_old", "slope", "slope48")
SIGNATURE_KINDS = [ANALOG_FEATURES.index(k) for k in SIGNATURE_FEATURES]
STATUS_FEATURES = ("on6", "on24")
SCALE_FLOOR = 0.05  # of the class's residual scale: a flat baseline is not infinitely tight


def feature_names(norm: ClassNormaliser) -> list[str]:
    """Names of the columns ``features`` returns for a class."""
    names = [f"{s}:{k}" for s in norm.analog for k in ANALOG_FEATURES]
    names += [f"{s}:{k}" for s in norm.channels[len(norm.analog) :] for k in SIGNATURE_FEATURES]
    names += [f"{s}:{k}" for s in norm.status for k in STATUS_FEATURES]
    names += [f"{s}:{k}" for s in norm.channels[len(norm.analog) :] for k in CUSUM_FEATURES]
    return [*names, "days_since_maintenance"]


def features(
    norm: ClassNormaliser,
    frame: AssetFrame,
    idx: I64,
    maintenance_ts: I64,
    win: Windows = Windows(),
) -> F32:
    """Feature rows (one per evaluated grid index) in the order of ``feature_names``."""
    return features_batch(norm, frame.t, [frame], idx, [maintenance_ts], win)


def features_batch(
    norm: ClassNormaliser,
    t: I64,
    frames: list[AssetFrame],
    idx: I64,
    maintenance: list[I64],
    win: Windows = Windows(),
) -> F32:
    """Feature rows of many assets on one grid: asset-major, ``len(idx)`` rows each."""
    n_a = len(frames)
    resid, status, flagged = norm.transform_batch(t, frames)
    s6, s24 = win.n(win.short_h), win.n(win.day_h)
    cols: list[F64] = []
    last = last_event(maintenance, t[idx])
    floor = since_maintenance(t, last, idx + 2 - win.slots)
    if resid.shape[2]:
        r = window_sums(resid, idx, win, floor)
        # Only the rows the short and daily windows reach are looked at again.
        first = max(0, int(idx.min()) + 1 - s24)
        tail = resid[:, first:]
        same = np.zeros(tail.shape, dtype=bool)
        same[:, 1:] = np.diff(tail, axis=1) == 0
        if first > 0:  # the first kept row compares with the row before it
            same[:, 0] = resid[:, first] == resid[:, first - 1]
        stuck, _, _ = window_sums(same, idx - first, win).window(idx - first, s6)
        flags, _, _ = window_sums(flagged[:, first:], idx - first, win).window(idx - first, s24)
        seen = np.minimum(s24, idx + 1)[:, None]
        summed: Summed = lambda w, lag: r.window(idx, w, lag)  # noqa: E731
        cols.append(analog_columns(summed, stuck, flags, seen, n_a, win, len(norm.analog)))
    if status.shape[2]:
        st = window_sums(status, idx, win)
        cols.append(status_columns(lambda w, lag: st.window(idx, w, lag), n_a, win))
    if resid.shape[2] > len(norm.analog):
        cols.append(cusum_columns(resid[:, :, len(norm.analog) :], t, idx, floor, win))
    return finish(cols, t[idx], last)


Summed = Callable[[int, int], tuple[F64, F64, F64]]  # (samples, lag) -> mean, sd, count


def analog_columns(
    r: Summed, stuck: F64, flags: F64, seen: F64, n_a: int, win: Windows, n_signals: int
) -> F64:
    """The channel features from windowed residual sums: (asset * row, signal * kind), then
    the signature channels' kinds."""
    s6, s24, sbase = win.n(win.short_h), win.n(win.day_h), win.n(win.baseline_days * 24)
    half = s24 // 2
    m6, sd6, _ = r(s6, 0)
    m24, _, n24 = r(s24, 0)
    mb, sdb, _ = r(sbase, s24)
    # An older baseline too: a slow precursor has already moved the recent one.
    mold, sdold, _ = r(sbase, 3 * s24)
    recent, _, _ = r(half, 0)
    before, _, _ = r(half, half)
    day_before, _, _ = r(s24, s24)
    scale = np.fmax(np.nan_to_num(sdb, nan=1.0), SCALE_FLOOR)
    scale_old = np.fmax(np.nan_to_num(sdold, nan=1.0), SCALE_FLOOR)
    missing = 1.0 - n24 / seen
    per = [
        m6,
        m24,
        (m6 - mb) / scale,
        (m24 - mb) / scale,
        (m6 - mold) / scale_old,
        (recent - before) / scale,
        (m24 - day_before) / scale,
        sd6 / scale,
        missing + flags,
        stuck,
    ]
    block = np.stack([per_asset(p, n_a) for p in per], axis=3)  # asset, row, channel, kind
    signals = block[:, :, :n_signals]
    modes = block[:, :, n_signals:][..., SIGNATURE_KINDS]
    rows = block.shape[0] * block.shape[1]
    width = [signals.shape[2] * signals.shape[3], modes.shape[2] * modes.shape[3]]
    return np.hstack([signals.reshape(rows, width[0]), modes.reshape(rows, width[1])])


def status_columns(st: Summed, n_a: int, win: Windows) -> F64:
    """Status duty over 6 and 24 hours: (asset * row, signal * 2)."""
    on6, _, _ = st(win.n(win.short_h), 0)
    on24, _, _ = st(win.n(win.day_h), 0)
    block = np.stack([per_asset(on6, n_a), per_asset(on24, n_a)], axis=3)
    return block.reshape(-1, block.shape[2] * block.shape[3])


def cusum_columns(sig: F32, t: I64, idx: I64, floor: I64 | None, win: Windows) -> F64:
    """The signature channels' CUSUM features (``models.cusum``) at each evaluated row, over
    the whole clock hours inside its window: (asset * row, channel * 2);
    ``floor`` as from ``since_maintenance``."""
    block, (n_a, n_t, n_c) = win.n(win.every_h), sig.shape
    ok = np.isfinite(sig)
    zero = np.zeros((n_a, 1, n_c))
    c1 = np.concatenate([zero, np.cumsum(np.where(ok, sig, 0.0), axis=1, dtype=np.float64)], 1)
    cn = np.concatenate([zero, np.cumsum(ok, axis=1, dtype=np.float64)], 1)
    bounds = np.arange(-(int(t[0]) // win.step_s) % block, n_t + 1, block)  # hours start
    p = np.zeros((n_a, len(bounds), n_c))
    sums = [np.diff(c[:, bounds], axis=1) for c in (c1, cn)]
    p[:, 1:] = np.cumsum(block_means(*sums), axis=1)
    at = np.clip(np.searchsorted(bounds, idx + 1, side="right") - 1, 0, None)
    lowest = np.searchsorted(bounds, idx + 1 - win.slots)  # the window's first whole hour
    if floor is not None:
        lowest = np.maximum(lowest, np.searchsorted(bounds, floor.T))
    shape = (n_a, len(idx))
    s, run = page(p, np.broadcast_to(at, shape), np.broadcast_to(lowest, shape))
    return np.stack([s, run * win.every_h], axis=3).reshape(n_a * len(idx), n_c * 2)


def finish(cols: list[F64], at: I64, last: I64) -> F32:
    """Append days since maintenance (``last``: per instant ``at`` and asset, from
    ``last_event``), asset-major like the other columns."""
    since = np.where(last >= 0, (at[:, None] - last) / 86_400.0, np.nan)
    cols.append(np.minimum(since, 365.0).T.reshape(-1, 1))
    return np.hstack(cols).astype(np.float32)


def eval_index(frame: AssetFrame, win: Windows = Windows()) -> I64:
    """Grid indices evaluated in training: every ``every_h`` after a day of history."""
    every = win.n(win.every_h)
    return np.arange(win.n(win.day_h), len(frame.t), every, dtype=np.int64)


def explain(
    norm: ClassNormaliser, frame: AssetFrame, win: Windows = Windows(), top: int = 3
) -> list[tuple[str, float, float, float]]:
    """Signals furthest from the asset's normal at the last instant: (signal, now, normal, z)."""
    last = np.array([len(frame.t) - 1], dtype=np.int64)
    row = features_batch(norm, frame.t, [frame], last, [np.zeros(0, np.int64)], win)[0]
    return explain_row(norm, frame, row, win, top)


def explain_row(
    norm: ClassNormaliser, frame: AssetFrame, row: F32, win: Windows = Windows(), top: int = 3
) -> list[tuple[str, float, float, float]]:
    """The same from the asset's feature row at that instant (its 6-hour change, ``d6``)."""
    if not norm.analog:
        return []
    d6 = ANALOG_FEATURES.index("d6")
    z = row[d6 : len(norm.analog) * len(ANALOG_FEATURES) : len(ANALOG_FEATURES)]
    n, s6, s24 = len(frame.t), win.n(win.short_h), win.n(win.day_h)
    raw = np.column_stack([column_of(frame, s) for s in norm.analog])
    now = _mean(raw[max(0, n - s6) :])
    normal = _mean(raw[max(0, n - s24 - win.n(win.baseline_days * 24)) : max(0, n - s24)])
    order = np.argsort(-np.nan_to_num(np.abs(z), nan=-1.0))[:top]
    return [
        (norm.analog[j], float(now[j]), float(normal[j]), float(z[j]))
        for j in order
        if np.isfinite(z[j])
    ]


def _mean(x: F32) -> F64:
    ok = np.isfinite(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: F64 = np.where(ok, x, 0.0).sum(axis=0, dtype=np.float64) / ok.sum(axis=0)
    return out
