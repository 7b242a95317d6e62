"""A streaming anomaly score per signal that never learns from the points it flags."""

from __future__ import annotations

import math

from edge.config import AnomalyConfig
from edge.stages.base import Context, Key, whole
from kernel.contract import Quality, Reading

# Plain ints: IntFlag arithmetic costs microseconds per reading on this hot path.
_SENSOR_FAULTS = int(Quality.DROPOUT | Quality.OUT_OF_RANGE | Quality.STUCK | Quality.SPIKE)
_ANOMALY = int(Quality.ANOMALY)


class RobustZ:
    """Distance from an exponentially weighted level, in exponentially weighted deviations.

    Follows river's detector contract: parameters in ``__init__``, then ``learn_one`` and
    ``score_one``. Absolute deviations rather than squares keep one wild value from
    inflating the scale.
    """

    __slots__ = ("alpha", "dev", "level", "n", "warmup")

    def __init__(self, alpha: float = 0.02, warmup: int = 30) -> None:
        self.alpha = alpha
        self.warmup = warmup
        self.level = 0.0
        self.dev = 0.0
        self.n = 0

    def learn_one(self, x: float) -> None:
        """Update the level and deviation with a normal value."""
        self.n += 1
        if self.n == 1:
            self.level = x
            return
        a = max(self.alpha, 1.0 / self.n)  # plain averages until alpha takes over
        self.dev += a * (abs(x - self.level) - self.dev)
        self.level += a * (x - self.level)

    def score_one(self, x: float) -> float:
        """How unusual ``x`` is (0 during warm-up)."""
        if self.n < self.warmup:
            return 0.0
        # 1.2533 turns a mean absolute deviation into a standard deviation for normal data.
        scale = 1.2533 * self.dev + 1e-9 + 1e-6 * abs(self.level)
        return abs(x - self.level) / scale


class Anomaly:
    """Flags readings that are far from their signal's recent behaviour."""

    name = "anomaly"

    def __init__(self, cfg: AnomalyConfig, ctx: Context) -> None:
        self.cfg = cfg
        self.ctx = ctx
        self.detectors: dict[Key, RobustZ] = {}
        self.last_score: dict[Key, float] = {}

    def apply(self, readings: list[Reading]) -> list[Reading]:
        """Readings with ANOMALY set where the score passes the threshold."""
        out = []
        for r in readings:
            v = r.value
            if v is None or r.quality & _SENSOR_FAULTS or whole(v):
                out.append(r)
                continue
            key = (r.asset, r.signal)
            det = self.detectors.get(key)
            if det is None:
                det = self.detectors[key] = RobustZ(self.cfg.alpha, self.cfg.warmup)
            score = det.score_one(v)
            self.last_score[key] = score if math.isfinite(score) else 0.0
            if score > self.cfg.threshold:
                self.ctx.metrics.flagged.labels("anomaly").inc()
                r = r._replace(quality=r.quality | _ANOMALY)
            else:
                det.learn_one(v)
            out.append(r)
        return out
