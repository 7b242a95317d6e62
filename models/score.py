"""Online scoring: each asset's current window in, a risk assessment (and maybe a warning) out."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from models.asset_frames import AssetFrame
from models.estimators import FailureWarner
from models.features import explain_row, features_batch
from models.online import OnlineCache
from models.pipeline import FleetModel
from models.warning_rule import gated

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
MODE_CONFIDENCE = 0.6  # below this the failure mode is not named


@dataclass(frozen=True)
class Contribution:
    """A signal behind a warning: its recent level against the asset's own normal."""

    signal: str
    value: float
    normal: float
    z: float


@dataclass(frozen=True)
class Assessment:
    """One asset's risk at one instant, with what a warning carries."""

    asset: str
    ts: int
    probability: float
    risk_band: str
    above_threshold: bool
    failure_mode: str
    hours_to_failure: tuple[float, float, float]  # 10th, 50th, 90th percentile
    health: float
    contributions: list[Contribution] = field(default_factory=list)
    model_version: str = ""


def risk_band(p: float, threshold: float) -> str:
    """low / elevated / high / critical, relative to the warning threshold."""
    if p >= max(0.9, threshold):
        return "critical"
    if p >= threshold:
        return "high"
    if p >= threshold / 2:
        return "elevated"
    return "low"


def _modes(warner: FailureWarner, X: F32, at_risk: npt.NDArray[np.bool_]) -> tuple[list[str], F64]:
    """The likely failure mode of the rows at risk ('' elsewhere: a healthy asset has none)."""
    modes, mode_p = [""] * len(X), np.zeros(len(X))
    if at_risk.any():
        named, proba = warner.predict_mode(X[at_risk])
        for i, m, q in zip(np.flatnonzero(at_risk), named, proba, strict=True):
            modes[i], mode_p[i] = m, q
    return modes, mode_p


def assess(
    fleet: FleetModel,
    windows: list[AssetFrame],
    maintenance: dict[str, I64],
    version: str = "",
    online: OnlineCache | None = None,
    since_s: int | None = None,
) -> list[Assessment]:
    """Score the last instant of each window (one model call per asset class).

    With ``online``, features come from the state kept since the last call, updated with
    the slots from ``since_s`` on (None: every slot may have changed, start afresh).
    """
    out: list[Assessment] = []
    # Windows of one class that end on the same grid are featurised together.
    groups: dict[tuple[str, int, int], list[AssetFrame]] = {}
    for w in windows:
        if len(w.t) and w.asset_class in fleet.classes:
            groups.setdefault((w.asset_class, len(w.t), int(w.t[-1])), []).append(w)
    for (cls, n, _), mine in sorted(groups.items()):
        cm = fleet.classes[cls]
        maint = [maintenance.get(w.asset, np.zeros(0, np.int64)) for w in mine]
        X = (
            online.rows(cm.norm, fleet.windows, mine, maint, since_s)
            if online is not None
            else None
        )
        if X is None:
            X = features_batch(
                cm.norm, mine[0].t, mine, np.array([n - 1], dtype=np.int64), maint, fleet.windows
            )
        p = cm.warner.predict_proba(X)[:, 1]
        ttf = fleet.ttf(cm, X)
        modes, mode_p = _modes(cm.warner, X, p >= fleet.threshold / 2)
        health = cm.health.score_samples(X)
        warn = gated(p, ttf[:, 1], fleet.ttf_gate_h)
        for i, w in enumerate(mine):
            above = bool(warn[i] >= fleet.threshold)
            band = risk_band(float(p[i]), fleet.threshold)
            if not cm.warner.learned_failures and health[i] >= fleet.health_threshold:
                band = "elevated"  # unusual, but the class has no failures to time a warning by
            if not above and band in ("high", "critical"):
                band = "elevated"  # likely to fail, but not yet within the warning's reach
            out.append(
                Assessment(
                    asset=w.asset,
                    ts=int(w.t[-1]),
                    probability=round(float(p[i]), 4),
                    risk_band=band,
                    above_threshold=above,
                    failure_mode=modes[i] if mode_p[i] >= MODE_CONFIDENCE else "",
                    hours_to_failure=(
                        round(float(ttf[i, 0]), 1),
                        round(float(ttf[i, 1]), 1),
                        round(float(ttf[i, 2]), 1),
                    ),
                    health=round(float(health[i]), 4),
                    contributions=[
                        Contribution(s, round(v, 3), round(n, 3), round(z, 2))
                        for s, v, n, z in explain_row(cm.norm, w, X[i], fleet.windows)
                    ]
                    if above
                    else [],
                    model_version=version,
                )
            )
    return out
