"""Rolling-window features, one implementation for training and online scoring.

Values are first normalised per asset class: readings outside the class's plausible range
count as flagged and are left out, and each analog signal is expressed as its residual from
what the operating conditions (outdoor temperature, load or traffic, running state, time of
day and week) predict, in units of the class's typical residual, and then against what the asset's
other signals' residuals predict (unmeasured drivers such as occupancy move the signals
together the way the physics ties them; a fault breaks the tie). Windows then summarise the
residuals at each evaluation instant: levels, spread, slope, and change against the asset's
own baseline (the week before the last day), with the share of missing and flagged samples.
Everything is cumulative sums over numpy arrays, so a year of an asset costs milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from models.frames import AssetFrame
from models.windows import Windows, per_asset, window_sums

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

# Signals that describe how hard an asset is being driven rather than its health.
CONDITIONS: dict[str, tuple[str, ...]] = {
    "hvac": ("outdoor_temp", "compressor_running"),
    "elevator": ("trips_per_hour", "in_service"),
    "pump": ("flow", "pump_running"),
    "power_room": ("current_l1", "energized"),
}
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
STATUS_FEATURES = ("on6", "on24")
SCALE_FLOOR = 0.05  # of the class's residual scale: a flat baseline is not infinitely tight


def _time_terms(t: I64) -> F64:
    hour = (t % 86_400) / 3600.0
    dow = (t // 86_400 + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    return np.column_stack(
        [
            np.ones(len(t)),
            np.sin(2 * np.pi * hour / 24),
            np.cos(2 * np.pi * hour / 24),
            (dow >= 5).astype(np.float64),
        ]
    )


N_TIME_TERMS = 4


def _regressors(t: I64, cond: F64) -> F64:
    return np.column_stack([_time_terms(t), cond]) if cond.size else _time_terms(t)


@dataclass
class ClassNormaliser:
    """Per asset class: plausible ranges, signal kinds and the condition model (fitted)."""

    asset_class: str
    analog: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    lo: F64 = field(default_factory=lambda: np.zeros(0))
    hi: F64 = field(default_factory=lambda: np.zeros(0))
    cond_mean: F64 = field(default_factory=lambda: np.zeros(0))
    cond_scale: F64 = field(default_factory=lambda: np.zeros(0))
    coef: F64 = field(default_factory=lambda: np.zeros((0, 0)))
    scale: F64 = field(default_factory=lambda: np.zeros(0))
    cross: F64 = field(default_factory=lambda: np.zeros((0, 0)))
    cross_scale: F64 = field(default_factory=lambda: np.zeros(0))

    def fit(self, frames: list[AssetFrame], every: int = 3) -> ClassNormaliser:
        """Learn ranges, kinds, condition and cross-signal coefficients from this class's frames."""
        names = sorted({s for f in frames for s in f.signals})
        stacked = {s: np.concatenate([_col(f, s)[::every] for f in frames]) for s in names}
        self.analog, self.status = [], []
        for s in names:
            v = stacked[s][np.isfinite(stacked[s])]
            if v.size < 10:
                continue
            if np.isin(v, (0.0, 1.0)).all():
                self.status.append(s)
            elif not _is_counter(frames, s):
                self.analog.append(s)
        self.conditions = [c for c in CONDITIONS.get(self.asset_class, ()) if c in names]
        q = {s: np.nanpercentile(stacked[s], [0.1, 99.9]) for s in self.analog}
        self.lo = np.array([q[s][0] - 0.5 * (q[s][1] - q[s][0]) for s in self.analog])
        self.hi = np.array([q[s][1] + 0.5 * (q[s][1] - q[s][0]) for s in self.analog])
        cond = np.column_stack([stacked[c] for c in self.conditions]) if self.conditions else None
        self.cond_mean = np.nanmean(cond, axis=0) if cond is not None else np.zeros(0)
        self.cond_scale = np.nanstd(cond, axis=0) + 1e-9 if cond is not None else np.zeros(0)
        t = np.concatenate([f.t[::every] for f in frames])
        z = self._cond(cond, len(t))
        design = _regressors(t, z)
        self.coef = np.zeros((len(self.analog), design.shape[1]))
        self.scale = np.ones(len(self.analog))
        for j, s in enumerate(self.analog):
            y = stacked[s].astype(np.float64)
            ok = np.isfinite(y) & (y >= self.lo[j]) & (y <= self.hi[j])
            if s in self.conditions:  # a condition is not explained by itself
                ok &= False
            if ok.sum() > design.shape[1] * 5:
                self.coef[j] = np.linalg.lstsq(design[ok], y[ok], rcond=None)[0]
                resid = y[ok] - design[ok] @ self.coef[j]
            else:
                self.coef[j, 0] = np.nanmean(y) if np.isfinite(y).any() else 0.0
                resid = y[np.isfinite(y)] - self.coef[j, 0]
            self.scale[j] = max(float(np.std(resid)), 1e-6) if resid.size else 1.0
        self._fit_cross(t, stacked, z)
        return self

    def _fit_cross(self, t: I64, stacked: dict[str, F32], z: F64) -> None:
        """Each signal's residual against what the other signals' residuals predict.

        Unmeasured drivers (occupancy, cooling demand) move every signal of an asset together
        the way the physics ties them; a fault breaks that tie. Fitted on rows within four
        typical residuals (faults and outliers left out); condition signals keep their own.
        """
        n = len(self.analog)
        self.cross = np.zeros((n, n))
        self.cross_scale = np.ones(n)
        if n < 2:
            return
        raw = np.column_stack([stacked[s] for s in self.analog]).astype(np.float64)
        design = _regressors(t, z)
        r = (raw - design @ self.coef.T) / self.scale
        r[~np.isfinite(r) | (raw < self.lo) | (raw > self.hi)] = np.nan
        calm = ~(np.abs(np.nan_to_num(r)) > 4.0).any(axis=1)
        filled = np.nan_to_num(r)
        for j, s in enumerate(self.analog):
            ok = calm & np.isfinite(r[:, j])
            if s in self.conditions or ok.sum() < 20 * n:
                continue
            others = [k for k in range(n) if k != j]
            a = filled[ok][:, others]
            self.cross[j, others] = np.linalg.solve(
                a.T @ a + 1e-3 * len(a) * np.eye(n - 1), a.T @ r[ok, j]
            )
            self.cross_scale[j] = max(float(np.std(r[ok, j] - a @ self.cross[j, others])), 1e-6)

    def _cond(self, cond: F64 | None, n: int) -> F64:
        if cond is None or not self.conditions:
            return np.zeros((n, 0))
        z = (cond - self.cond_mean) / self.cond_scale
        return np.nan_to_num(z, nan=0.0)

    def transform(self, frame: AssetFrame) -> tuple[F32, F32, npt.NDArray[np.bool_]]:
        """Normalised analog residuals, status values and the flagged mask of one frame."""
        resid, status, flagged = self.transform_batch(frame.t, [frame])
        return resid[0], status[0], flagged[0]

    def transform_batch(
        self, t: I64, frames: list[AssetFrame]
    ) -> tuple[F32, F32, npt.NDArray[np.bool_]]:
        """The same for frames on one grid ``t``: arrays of (asset, time, signal)."""
        f32 = np.float32  # elementwise work in single precision; window sums in double
        raw = _stack(frames, self.analog)
        finite = np.isfinite(raw)
        flagged = finite & ((raw < self.lo.astype(f32)) | (raw > self.hi.astype(f32)))
        coef = self.coef.astype(f32)
        predicted = (_time_terms(t).astype(f32) @ coef[:, :N_TIME_TERMS].T)[None, :, :]
        if self.conditions:
            cond = _stack(frames, self.conditions)
            z = np.nan_to_num((cond - self.cond_mean.astype(f32)) / self.cond_scale.astype(f32))
            predicted = predicted + np.einsum("atc,sc->ats", z, coef[:, N_TIME_TERMS:])
        resid = raw - predicted
        resid /= self.scale.astype(f32)
        resid[flagged | ~finite] = np.nan
        if self.cross.size:
            tied = np.nan_to_num(resid) @ self.cross.T.astype(f32)
            resid = (resid - tied) / self.cross_scale.astype(f32)
        return resid, _stack(frames, self.status), flagged

    def feature_names(self) -> list[str]:
        """Names of the columns ``features`` returns."""
        names = [f"{s}:{k}" for s in self.analog for k in ANALOG_FEATURES]
        names += [f"{s}:{k}" for s in self.status for k in STATUS_FEATURES]
        return [*names, "days_since_maintenance"]


def _stack(frames: list[AssetFrame], names: list[str]) -> F32:
    out = np.full((len(frames), len(frames[0].t), len(names)), np.nan, dtype=np.float32)
    signals = frames[0].signals
    if all(f.signals == signals for f in frames):  # the usual case: one copy, not one per column
        have = [j for j, name in enumerate(names) if name in signals]
        cols = [signals.index(names[j]) for j in have]
        out[:, :, have] = np.stack([f.x for f in frames])[:, :, cols]
        return out
    for a, f in enumerate(frames):
        for j, name in enumerate(names):
            if name in f.signals:
                out[a, :, j] = f.column(name)
    return out


def _col(frame: AssetFrame, signal: str) -> F32:
    if signal in frame.signals:
        return frame.column(signal)
    return np.full(len(frame.t), np.nan, dtype=np.float32)


def _is_counter(frames: list[AssetFrame], signal: str) -> bool:
    for f in frames:
        v = _col(f, signal)
        v = v[np.isfinite(v)]
        if v.size > 10:
            return bool((np.diff(v) >= 0).mean() > 0.99 and v[-1] > v[0])
    return False


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
    if resid.shape[2]:
        r = window_sums(resid, idx, win)
        # Only the rows the short and daily windows reach are looked at again.
        first = max(0, int(idx.min()) + 1 - s24)
        tail = resid[:, first:]
        same = np.zeros(tail.shape, dtype=resid.dtype)
        same[:, 1:] = np.diff(tail, axis=1) == 0
        if first > 0:  # the first kept row compares with the row before it
            same[:, 0] = resid[:, first] == resid[:, first - 1]
        stuck, _, _ = window_sums(same, idx - first, win).window(idx - first, s6)
        flags, _, _ = window_sums(flagged[:, first:].astype(resid.dtype), idx - first, win).window(
            idx - first, s24
        )
        seen = np.minimum(s24, idx + 1)[:, None]
        cols.append(
            analog_columns(lambda w, lag: r.window(idx, w, lag), stuck, flags, seen, n_a, win)
        )
    if status.shape[2]:
        st = window_sums(status, idx, win)
        cols.append(status_columns(lambda w, lag: st.window(idx, w, lag), n_a, win))
    return finish(cols, t[idx], maintenance)


Summed = Callable[[int, int], tuple[F64, F64, F64]]  # (samples, lag) -> mean, sd, count


def analog_columns(r: Summed, stuck: F64, flags: F64, seen: F64, n_a: int, win: Windows) -> F64:
    """The analog features from windowed residual sums: (asset * row, signal * kind)."""
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
    block = np.stack([per_asset(p, n_a) for p in per], axis=3)  # asset, row, signal, kind
    return block.reshape(-1, block.shape[2] * block.shape[3])


def status_columns(st: Summed, n_a: int, win: Windows) -> F64:
    """Status duty over 6 and 24 hours: (asset * row, signal * 2)."""
    on6, _, _ = st(win.n(win.short_h), 0)
    on24, _, _ = st(win.n(win.day_h), 0)
    block = np.stack([per_asset(on6, n_a), per_asset(on24, n_a)], axis=3)
    return block.reshape(-1, block.shape[2] * block.shape[3])


def finish(cols: list[F64], at: I64, maintenance: list[I64]) -> F32:
    """Append days since maintenance (per asset, at the evaluated instants ``at``)."""
    since = [_days_since(at, m) for m in maintenance]
    cols.append(np.concatenate(since)[:, None])
    return np.hstack(cols).astype(np.float32)


def _days_since(t: I64, events: I64) -> F64:
    if len(events) == 0:
        return np.full(len(t), np.nan)
    pos = np.searchsorted(events, t, side="right") - 1
    since = np.where(pos >= 0, (t - events[np.clip(pos, 0, None)]) / 86_400.0, np.nan)
    return np.minimum(since, 365.0)


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
    raw = np.column_stack([_col(frame, s) for s in norm.analog])
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
