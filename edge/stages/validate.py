"""Sensor-fault flags: dropout, out of range, stuck, spike. Readings are marked, never dropped."""

from __future__ import annotations

from dataclasses import dataclass

from edge.config import ValidateConfig
from edge.stages.base import Context, Key, whole
from kernel.contract import Quality, Reading

_SCALE_ALPHA = 0.05  # weight of a new step in the typical step size
# Plain ints: IntFlag arithmetic costs microseconds per reading on this hot path.
_DROPOUT, _RANGE, _STUCK, _SPIKE = (
    int(Quality.DROPOUT),
    int(Quality.OUT_OF_RANGE),
    int(Quality.STUCK),
    int(Quality.SPIKE),
)


@dataclass(slots=True)
class _Track:
    last: float | None = None  # last accepted value
    repeats: int = 0
    step: float = 0.0  # typical absolute step between readings (EWMA)
    n: int = 0
    candidate: float | None = None  # a jump not yet known to be a spike or a level change


class Validate:
    """Flags readings whose sensor looks faulty."""

    name = "validate"

    def __init__(self, cfg: ValidateConfig, ctx: Context) -> None:
        self.cfg = cfg
        self.ctx = ctx
        self.tracks: dict[Key, _Track] = {}

    def check(self, r: Reading) -> int:
        """The quality flags this reading deserves."""
        if r.value is None:
            return r.quality | _DROPOUT
        v = r.value
        q = r.quality
        spec = self.ctx.specs.get((r.asset, r.signal))
        if spec is not None and (
            (spec.min is not None and v < spec.min) or (spec.max is not None and v > spec.max)
        ):
            return q | _RANGE  # garbage must not teach the trackers
        t = self.tracks.setdefault((r.asset, r.signal), _Track())
        if t.last is None or whole(v):
            t.last, t.repeats = v, 0
            return q
        if self.cfg.stuck_count and v == t.last:
            t.repeats += 1
            if t.repeats >= self.cfg.stuck_count:
                return q | _STUCK
            return q
        t.repeats = 0
        jump = abs(v - t.last)
        limit = self.cfg.spike_mads * max(t.step, 1e-9)
        if t.n >= self.cfg.spike_warmup and jump > limit:
            # Two jumps to the same new level are a level change (a pump starting), not a spike.
            if t.candidate is not None and abs(v - t.candidate) <= limit:
                t.last, t.candidate = v, None
                return q
            t.candidate = v
            return q | _SPIKE
        t.candidate = None
        t.step += _SCALE_ALPHA * (jump - t.step) if t.n else jump - t.step
        t.n += 1
        t.last = v
        return q

    def apply(self, readings: list[Reading]) -> list[Reading]:
        """Readings with sensor-fault flags set."""
        out = []
        for r in readings:
            q = self.check(r)
            if q != r.quality:
                for flag in (Quality.DROPOUT, Quality.OUT_OF_RANGE, Quality.STUCK, Quality.SPIKE):
                    if q & flag and not r.quality & flag:
                        self.ctx.metrics.flagged.labels(str(flag.name).lower()).inc()
                r = r._replace(quality=q)
            out.append(r)
        return out
