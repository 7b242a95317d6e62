"""Per-class normalisation: readings to residuals against conditions and the other signals.

Readings outside the class's plausible range count as flagged and are left out. Each analog
signal is expressed as its residual from what the operating conditions (outdoor
temperature, load or traffic, running state, time of day and week) predict, in units of the
class's typical residual, and then against what the asset's other signals' residuals predict
(unmeasured drivers such as occupancy move the signals together the way the physics ties
them; a fault breaks the tie).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from kernel.catalogue import active_catalogue
from models.asset_frames import AssetFrame
from models.portable_linalg import RowsGram, combine, day_cycle, least_squares, matmul, solve

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def class_conditions(asset_class: str) -> tuple[str, ...]:
    """Signals that describe how hard an asset is driven rather than its health (the class
    file's ``role: condition``); none for a class the catalogue does not know."""
    catalogue = active_catalogue()
    return catalogue.get(asset_class).conditions if asset_class in catalogue else ()


def _time_terms(t: I64) -> F64:
    sin, cos = day_cycle(t)
    dow = (t // 86_400 + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    return np.column_stack([np.ones(len(t)), sin, cos, (dow >= 5).astype(np.float64)])


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
    # Coefficients of the time and condition terms, then (with a running-state condition)
    # of the same terms while running: a stopped machine idles by different rules.
    coef: F64 = field(default_factory=lambda: np.zeros((0, 0)))
    state: str = ""
    scale: F64 = field(default_factory=lambda: np.zeros(0))
    cross: F64 = field(default_factory=lambda: np.zeros((0, 0)))
    cross_scale: F64 = field(default_factory=lambda: np.zeros(0))
    # Failure-mode signature channels (``models.signatures``): projections of the residuals.
    sig_modes: list[str] = field(default_factory=list)
    sig_w: F64 = field(default_factory=lambda: np.zeros((0, 0)))
    sig_b: F64 = field(default_factory=lambda: np.zeros(0))

    @property
    def channels(self) -> list[str]:
        """Residual channels: the analog signals, then one signature per failure mode."""
        return [*self.analog, *(f"signature_{m}" for m in self.sig_modes)]

    def fit(
        self,
        frames: list[AssetFrame],
        every: int = 3,
        settled: list[npt.NDArray[np.bool_]] | None = None,
    ) -> ClassNormaliser:
        """Learn ranges, kinds, condition and cross-signal coefficients from this class's frames.

        ``settled`` (one mask per frame) marks the rows far from any failure: the normal is
        learned from those alone, so a slow wear that moves every signal is not learned as
        how the signals move together. Ranges and signal kinds use every row.
        """
        names = sorted({s for f in frames for s in f.signals})
        stacked = {s: np.concatenate([column_of(f, s)[::every] for f in frames]) for s in names}
        self.analog, self.status = [], []
        for s in names:
            v = stacked[s][np.isfinite(stacked[s])]
            if v.size < 10:
                continue
            if np.isin(v, (0.0, 1.0)).all():
                self.status.append(s)
            elif not _is_counter(frames, s):
                self.analog.append(s)
        self.conditions = [c for c in class_conditions(self.asset_class) if c in names]
        q = {s: np.nanpercentile(stacked[s], [0.1, 99.9]) for s in self.analog}
        self.lo = np.array([q[s][0] - 0.5 * (q[s][1] - q[s][0]) for s in self.analog])
        self.hi = np.array([q[s][1] + 0.5 * (q[s][1] - q[s][0]) for s in self.analog])
        cond = np.column_stack([stacked[c] for c in self.conditions]) if self.conditions else None
        self.cond_mean = np.nanmean(cond, axis=0) if cond is not None else np.zeros(0)
        self.cond_scale = np.nanstd(cond, axis=0) + 1e-9 if cond is not None else np.zeros(0)
        t = np.concatenate([f.t[::every] for f in frames])
        z = self._cond(cond, len(t))
        design = _regressors(t, z)
        self.state = next((c for c in self.conditions if c in self.status), "")
        if self.state:
            design = np.column_stack([design, design * np.nan_to_num(stacked[self.state])[:, None]])
        self.coef = np.zeros((len(self.analog), design.shape[1]))
        self.scale = np.ones(len(self.analog))
        # Rows whose conditions are not all known say nothing of how conditions drive signals.
        known = np.isfinite(cond).all(axis=1) if cond is not None else np.ones(len(t), bool)
        if settled is not None:
            known &= np.concatenate([m[::every] for m in settled])
        cols = np.ascontiguousarray(design.T)  # the sums run along contiguous columns
        known_gram = RowsGram(cols, known)
        for j, s in enumerate(self.analog):
            y = stacked[s].astype(np.float64)
            ok = np.isfinite(y) & (y >= self.lo[j]) & (y <= self.hi[j]) & known
            if s in self.conditions:  # a condition is not explained by itself
                ok &= False
            if ok.sum() > design.shape[1] * 5:
                # Rows left out weigh nothing: no copy of the design per signal.
                self.coef[j] = least_squares(known_gram.of(ok), cols, np.where(ok, y, 0.0))
                resid = (y - combine(cols, self.coef[j]))[ok]
            else:
                self.coef[j, 0] = np.nanmean(y) if np.isfinite(y).any() else 0.0
                resid = y[np.isfinite(y)] - self.coef[j, 0]
            self.scale[j] = max(float(np.std(resid)), 1e-6) if resid.size else 1.0
        self._fit_cross(stacked, cols, known)
        return self

    def _fit_cross(self, stacked: dict[str, F32], cols: F64, known: npt.NDArray[np.bool_]) -> None:
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
        # (signal, row): every sum runs along a contiguous row of this array
        raw = np.stack([stacked[s] for s in self.analog]).astype(np.float64)
        r = np.stack([(raw[j] - combine(cols, self.coef[j])) / self.scale[j] for j in range(n)])
        r[~np.isfinite(r) | (raw < self.lo[:, None]) | (raw > self.hi[:, None]) | ~known] = np.nan
        filled = np.nan_to_num(r)
        calm = ~(np.abs(filled) > 4.0).any(axis=0)
        calm_gram = RowsGram(filled, calm)
        for j, s in enumerate(self.analog):
            ok = calm & np.isfinite(r[j])
            if s in self.conditions or ok.sum() < 20 * n:
                continue
            others = [k for k in range(n) if k != j]
            # The other residuals' products with each other and with this one (zero where
            # it is missing, so the rows without it add nothing).
            g = calm_gram.of(ok)
            ridge = 1e-3 * int(ok.sum()) * np.eye(n - 1)
            self.cross[j, others] = solve(g[np.ix_(others, others)] + ridge, g[others, j])
            fit = combine(filled[others][:, ok], self.cross[j, others])
            self.cross_scale[j] = max(float(np.std(r[j, ok] - fit)), 1e-6)

    def _cond(self, cond: F64 | None, n: int) -> F64:
        if cond is None or not self.conditions:
            return np.zeros((n, 0))
        z = (cond - self.cond_mean) / self.cond_scale
        return np.nan_to_num(z, nan=0.0)

    def transform(self, frame: AssetFrame) -> tuple[F32, F32, npt.NDArray[np.bool_]]:
        """Normalised analog residuals, status values and the flagged mask of one frame."""
        resid, status, flagged = self.transform_batch(frame.t, [frame])
        return resid[0], status[0], flagged[0]

    def residuals(self, frame: AssetFrame) -> F32:
        """One frame's analog residuals alone: (time, analog signal)."""
        resid: F32 = self._analog(frame.t, [frame])[0][0]
        return resid

    def transform_batch(
        self, t: I64, frames: list[AssetFrame]
    ) -> tuple[F32, F32, npt.NDArray[np.bool_]]:
        """The same for frames on one grid ``t``: arrays of (asset, time, channel)."""
        resid, flagged = self._analog(t, frames)
        if len(self.sig_modes):
            seen = np.isfinite(resid).any(axis=2, keepdims=True)
            proj = matmul(np.nan_to_num(resid), self.sig_w.T.astype(np.float32))
            proj -= self.sig_b.astype(np.float32)
            proj[~np.broadcast_to(seen, proj.shape)] = np.nan
            resid = np.concatenate([resid, proj], axis=2)
            any_flag = np.broadcast_to(flagged.any(axis=2, keepdims=True), proj.shape)
            flagged = np.concatenate([flagged, any_flag], axis=2)
        return resid, _stack(frames, self.status), flagged

    def _analog(self, t: I64, frames: list[AssetFrame]) -> tuple[F32, npt.NDArray[np.bool_]]:
        f32 = np.float32  # elementwise work in single precision; window sums in double
        raw = _stack(frames, self.analog)
        finite = np.isfinite(raw)
        flagged = finite & ((raw < self.lo.astype(f32)) | (raw > self.hi.astype(f32)))
        coef = self.coef.astype(f32)
        terms = _time_terms(t).astype(f32)
        z = np.zeros((len(frames), len(t), 0), f32)
        unknown: npt.NDArray[np.bool_] = np.zeros((len(frames), len(t)), bool)
        if self.conditions:
            cond = _stack(frames, self.conditions)
            unknown = np.asarray(~np.isfinite(cond).all(axis=2))
            z = np.nan_to_num((cond - self.cond_mean.astype(f32)) / self.cond_scale.astype(f32))
        p = N_TIME_TERMS + z.shape[2]
        predicted = _predict(terms, z, coef[:, :p])
        if self.state:
            running = np.nan_to_num(_stack(frames, [self.state]))
            predicted += running * _predict(terms, z, coef[:, p:])
        resid = raw - predicted
        resid /= self.scale.astype(f32)
        resid[flagged | ~finite] = np.nan
        # Where a condition is unknown (a running state or a temperature missing) nothing is
        # predicted: a running compressor read as stopped looked like a failure (p = 1).
        dependent = np.array([s not in self.conditions for s in self.analog], dtype=bool)
        resid[unknown[:, :, None] & dependent] = np.nan
        if self.cross.size:
            tied: F32 = matmul(np.nan_to_num(resid), self.cross.T.astype(f32))
            resid -= tied
            resid /= self.cross_scale.astype(f32)
        return resid, flagged


def _predict(terms: F32, z: F32, coef: F32) -> F32:
    """Time terms (time, k) and conditions (asset, time, c) through coefficients (signal, k + c)."""
    out: F32 = matmul(terms, coef[:, :N_TIME_TERMS].T)[None, :, :] + matmul(
        z, coef[:, N_TIME_TERMS:].T
    )
    return out


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


def column_of(frame: AssetFrame, signal: str) -> F32:
    """One signal's values, all NaN when the frame does not have it."""
    if signal in frame.signals:
        return frame.column(signal)
    return np.full(len(frame.t), np.nan, dtype=np.float32)


def _is_counter(frames: list[AssetFrame], signal: str) -> bool:
    for f in frames:
        v = column_of(f, signal)
        v = v[np.isfinite(v)]
        if v.size > 10:
            return bool((np.diff(v) >= 0).mean() > 0.99 and v[-1] > v[0])
    return False
