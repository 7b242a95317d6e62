"""Features at the newest instant from sums kept between scoring rounds.

Between two rounds of the scorer only the newest slots of a window change, yet a window is
ten days long. The state keeps, for one class's assets, each slot's normalised residual
(and status values and flagged marks) with the residuals' sums per clock hour and each
hour's mean of the signature channels, which their CUSUM adds up (``models.cusum``). A round
normalises only the slots that may have changed and reads every window as whole hours
plus the part-hours at its two ends: every window is whole hours long, so all its ends sit
at the same offset in their hour. The rows equal ``features_batch`` at the last instant.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from models.asset_frames import AssetFrame
from models.cusum import block_means, page
from models.features import (
    F32,
    F64,
    I64,
    analog_columns,
    finish,
    status_columns,
)
from models.normalise import ClassNormaliser
from models.windows import Windows, last_event, since_maintenance

SLACK_H = 6  # hours of room past the window before the arrays are moved down


@dataclass
class OnlineFeatures:
    """Slots and hourly sums of one class's assets (in a fixed order) up to ``end`` (a slot)."""

    norm: ClassNormaliser
    win: Windows
    assets: tuple[str, ...]
    h0: int  # first hour held (absolute: slot // slots per hour)
    end: int  # last slot written (absolute: epoch s // step)
    resid: F32  # (asset, slot, channel), NaN where missing or flagged
    flagged: npt.NDArray[np.uint8]  # (asset, slot, channel)
    status: F32  # (asset, slot, status)
    c1: F64  # (asset, hour + 1, channel): residual sums of the hours before each held hour
    c2: F64  # the same of squares
    cn: F64  # and counts
    # (asset, signature channel, hour): each hour's ``block_means`` (``models.cusum``)
    hm: F64 = field(default_factory=lambda: np.zeros((0, 0, 0)))

    @classmethod
    def start(cls, norm: ClassNormaliser, win: Windows, frames: list[AssetFrame]) -> OnlineFeatures:
        """A state filled from whole windows (all on one grid, at least the longest window)."""
        block = win.n(win.every_h)
        end = int(frames[0].t[-1]) // win.step_s
        span = win.longest_s // 3600 + 1
        cap = span + SLACK_H
        n_a, n_s, n_st = len(frames), len(norm.channels), len(norm.status)
        state = cls(
            norm,
            win,
            tuple(f.asset for f in frames),
            end // block - span + 1,
            int(frames[0].t[0]) // win.step_s - 1,
            np.full((n_a, cap * block, n_s), np.nan, np.float32),
            np.zeros((n_a, cap * block, n_s), np.uint8),
            np.full((n_a, cap * block, n_st), np.nan, np.float32),
            np.zeros((n_a, cap + 1, n_s)),
            np.zeros((n_a, cap + 1, n_s)),
            np.zeros((n_a, cap + 1, n_s)),
            np.zeros((n_a, n_s - len(norm.analog), cap)),
        )
        state.advance(frames, int(frames[0].t[0]))
        return state

    def can_advance(self, frames: list[AssetFrame], since_s: int) -> bool:
        """Same assets, a later or equal end, and nothing unread between the two."""
        if tuple(f.asset for f in frames) != self.assets or not frames:
            return False
        if len(frames[0].t) < self.win.slots:
            return False
        end = int(frames[0].t[-1]) // self.win.step_s
        since = since_s // self.win.step_s
        return (
            end >= self.end
            and since <= self.end + 1
            and since >= int(frames[0].t[0]) // self.win.step_s
        )

    def advance(self, frames: list[AssetFrame], since_s: int) -> None:
        """Take in the slots from ``since_s`` to the frames' end (the rest is unchanged)."""
        step, block = self.win.step_s, self.win.n(self.win.every_h)
        t = frames[0].t
        first, end = int(t[0]) // step, int(t[-1]) // step
        since = max(since_s // step, first)
        cap = self.c1.shape[1] - 1
        if end // block - self.h0 >= cap:
            self._move(end // block - (cap - SLACK_H) + 1)
        lo = max(since, self.h0 * block)
        rows = slice(lo - first, end - first + 1)
        part = [AssetFrame(f.asset, f.asset_class, f.t[rows], f.signals, f.x[rows]) for f in frames]
        resid, status, flagged = self.norm.transform_batch(t[rows], part)
        at = slice(lo - self.h0 * block, end - self.h0 * block + 1)
        self.resid[:, at], self.status[:, at], self.flagged[:, at] = resid, status, flagged
        first_h, last_h = lo // block - self.h0, end // block - self.h0
        r = self.resid[:, first_h * block : (last_h + 1) * block]
        hourly = _sums(r.reshape(r.shape[0], -1, block, r.shape[2]))
        # Prefix sums from the first changed hour on; the hours before it stand.
        for c, h in zip((self.c1, self.c2, self.cn), hourly, strict=True):
            c[:, first_h + 1 : last_h + 2] = c[:, first_h : first_h + 1] + np.cumsum(h, axis=1)
        sig = slice(len(self.norm.analog), None)
        means = block_means(hourly[0][..., sig], hourly[2][..., sig])
        self.hm[:, :, first_h : last_h + 1] = means.transpose(0, 2, 1)
        self.end = end

    def _move(self, h0: int) -> None:
        block, shift = self.win.n(self.win.every_h), h0 - self.h0
        for name, empty in (("resid", np.nan), ("flagged", 0), ("status", np.nan)):
            a = getattr(self, name)
            a[:, : -shift * block] = a[:, shift * block :]
            a[:, -shift * block :] = empty
        for c in (self.c1, self.c2, self.cn):  # sums between hours do not depend on the start
            c[:, :-shift] = c[:, shift:]
        self.hm[:, :, :-shift] = self.hm[:, :, shift:]
        self.h0 = h0

    def _slots(self, a: npt.NDArray[np.generic], n: int) -> npt.NDArray[np.generic]:
        """The last ``n`` slots up to ``end``."""
        stop = self.end - self.h0 * self.win.n(self.win.every_h) + 1
        return a[:, stop - n : stop]

    def _prefix(self, k: I64) -> tuple[F64, F64, F64]:
        """Sums, squares and counts of the slots before each absolute slot ``k``."""
        block = self.win.n(self.win.every_h)
        hour, into = k // block - self.h0, int(k[0] % block)
        out = (self.c1[:, hour], self.c2[:, hour], self.cn[:, hour])
        if not into:
            return out
        # The part-hours at the ends: the first ``into`` slots of each hour.
        part = _sums(self.resid[:, (hour * block)[:, None] + np.arange(into)])
        return out[0] + part[0], out[1] + part[1], out[2] + part[2]

    def _prefix_at(self, assets: I64, k: I64) -> tuple[F64, F64, F64]:
        """The same for some assets, each with its own slots ``k``: (asset, slot)."""
        block = self.win.n(self.win.every_h)
        hour, into = k // block - self.h0, k % block
        a = assets[:, None]
        whole = [c[a, hour] for c in (self.c1, self.c2, self.cn)]
        within = np.arange(block)
        slots = np.minimum((hour * block)[:, :, None] + within, self.resid.shape[1] - 1)
        r = self.resid[a[:, :, None], slots]
        part = _sums(np.where((within < into[:, :, None])[..., None], r, np.nan))
        return whole[0] + part[0], whole[1] + part[1], whole[2] + part[2]

    def _floor(self, last: I64) -> I64 | None:
        """``since_maintenance`` over the window's slots (``last`` from ``last_event``)."""
        first = self.end + 1 - self.win.slots
        t = self.win.step_s * np.arange(first, self.end + 1, dtype=np.int64)
        return since_maintenance(t, last, np.array([1], np.int64))

    def _since_maintenance(self, floor: I64 | None, ends: I64, starts: I64) -> tuple[I64, I64]:
        """Assets whose last maintenance (``floor``, from ``_floor``) falls inside their
        windows, and those windows' starts moved up to it (as ``features_batch`` does)."""
        if floor is None:
            return np.zeros(0, np.int64), np.zeros((0, len(starts)), np.int64)
        first = self.end + 1 - self.win.slots
        hit = np.flatnonzero(floor[0])
        cut = np.minimum(np.maximum(starts[None, :], floor[0, hit, None] + first), ends[None, :])
        return hit, cut

    def columns(self, maintenance: list[I64]) -> F32:
        """Feature rows at ``end`` for every asset, equal to ``features_batch`` there."""
        win, n_a = self.win, len(self.assets)
        s6, s24 = win.n(win.short_h), win.n(win.day_h)
        spans = [(s6, 0), (s24, 0), (s24 // 2, 0), (s24 // 2, s24 // 2), (s24, s24)]
        spans += [(win.n(win.baseline_days * 24), s24), (win.n(win.baseline_days * 24), 3 * s24)]
        ends = np.array([self.end + 1 - lag for _, lag in spans], np.int64)
        starts = ends - np.array([w for w, _ in spans], np.int64)
        s1, s2, n = self._prefix(np.concatenate([ends, starts]))
        at = np.array([self.end * win.step_s], np.int64)
        last = last_event(maintenance, at)
        floor = self._floor(last)
        hit, cut = self._since_maintenance(floor, ends, starts)
        if len(hit):
            for whole, moved in zip((s1, s2, n), self._prefix_at(hit, cut), strict=True):
                whole[hit, len(spans) :] = moved
        cache: dict[tuple[int, int], tuple[F64, F64, F64]] = {}
        for i, key in enumerate(spans):
            j = i + len(spans)
            cnt = n[:, i] - n[:, j]
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = (s1[:, i] - s1[:, j]) / cnt
                var = (s2[:, i] - s2[:, j]) / cnt - mean * mean
            sd = np.sqrt(np.clip(var, 0.0, None))
            cache[key] = (mean.reshape(1, -1), sd.reshape(1, -1), cnt.reshape(1, -1))
        cols: list[F64] = []
        if self.resid.shape[2]:
            near = self._slots(self.resid, s6 + 1)
            same = (near[:, 1:] == near[:, :-1]).mean(axis=1).reshape(1, -1)
            flags = self._slots(self.flagged, s24).mean(axis=1).reshape(1, -1)
            seen = np.full((1, 1), float(s24))
            cols.append(
                analog_columns(
                    lambda w, lag: cache[(w, lag)],
                    same,
                    flags,
                    seen,
                    n_a,
                    win,
                    len(self.norm.analog),
                )
            )
        if self.status.shape[2]:
            st = self._slots(self.status, s24)

            def on(w: int, lag: int) -> tuple[F64, F64, F64]:
                x = st[:, st.shape[1] - w :]
                ok = np.isfinite(x)
                cnt = ok.sum(axis=1)
                with np.errstate(invalid="ignore", divide="ignore"):
                    mean = np.where(ok, x, 0.0).sum(axis=1) / cnt
                flat = mean.reshape(1, -1).astype(np.float64)
                return flat, np.zeros_like(flat), cnt.reshape(1, -1).astype(np.float64)

            cols.append(status_columns(on, n_a, win))
        if self.resid.shape[2] > len(self.norm.analog):
            cols.append(self._cusum(floor))
        return finish(cols, at, last)

    def _cusum(self, floor: I64 | None) -> F64:
        """The signature channels' CUSUM features over the whole clock hours inside the window,
        as ``features.cusum_columns`` reads them: (asset, channel * 2)."""
        win, block = self.win, self.win.n(self.win.every_h)
        first = self.end + 1 - win.slots
        h1, h2 = -(-first // block) - self.h0, (self.end + 1) // block - self.h0
        # (asset, boundary, channel) views of arrays laid out hour-last: sums run along memory
        p = np.zeros((len(self.hm), self.hm.shape[1], h2 - h1 + 1))
        np.cumsum(self.hm[:, :, h1:h2], axis=2, out=p[:, :, 1:])
        lowest = np.zeros((len(p), 1), np.int64)
        if floor is not None:  # the first whole hour after the maintenance
            lowest[:, 0] = np.maximum(-(-(first + floor[0]) // block) - self.h0 - h1, 0)
        at = np.full((len(p), 1), h2 - h1, np.int64)
        s, run = page(p.transpose(0, 2, 1), at, lowest)
        return np.stack([s, run * win.every_h], axis=3).reshape(len(p), -1)


def _sums(r: F32) -> tuple[F64, F64, F64]:
    """Sums, squares and counts of finite residuals over axis 2 (slots of an hour)."""
    ok = np.isfinite(r)
    v = np.where(ok, r, 0.0).astype(np.float64)
    return v.sum(axis=2), (v * v).sum(axis=2), ok.sum(axis=2).astype(np.float64)


@dataclass
class OnlineCache:
    """The states a scorer keeps between rounds, one per class and set of assets."""

    states: dict[tuple[str, tuple[str, ...]], OnlineFeatures] = field(default_factory=dict)
    _used: set[tuple[str, tuple[str, ...]]] = field(default_factory=set)

    def rows(
        self,
        norm: ClassNormaliser,
        win: Windows,
        frames: list[AssetFrame],
        maintenance: list[I64],
        since_s: int | None,
    ) -> F32 | None:
        """Feature rows at the frames' end, or None where the state cannot give them."""
        if not win.whole_hours or len(frames[0].t) < win.slots:
            return None
        key = (norm.asset_class, tuple(f.asset for f in frames))
        state = self.states.get(key)
        if (
            state is not None
            and state.norm is norm
            and since_s is not None
            and state.can_advance(frames, since_s)
        ):
            state.advance(frames, since_s)
        else:
            state = self.states[key] = OnlineFeatures.start(norm, win, frames)
        self._used.add(key)
        return state.columns(maintenance)

    def new_round(self) -> None:
        """Forget the states no chunk used since the last call (retired or regrouped assets)."""
        self.states = {k: v for k, v in self.states.items() if k in self._used}
        self._used = set()
