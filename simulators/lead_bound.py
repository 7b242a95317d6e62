"""How much warning a fleet's failures allow: the lead of an ideal detector, from the plan.

Each precursor grows as ``strength * (elapsed / length) ** shape`` and the asset fails when
it reaches ``strength``. A detector that saw the curve exactly (its onset, its shape and so
``strength / length ** shape``) would still not know the strength, drawn uniformly from the
configured range, so the remaining time stays uncertain: for every elapsed time it gets a
posterior over the precursor's length (the mode's log-uniform prior times the strength's
density) and from it the probability that failure falls in the warning window. The ideal
detector warns the first time that probability reaches ``threshold``, and not before the
degradation reaches ``visible`` (a real detector sees a fault only once it stands out of the
noise). Its precision, recall and lead over a fleet's real failures bound what any model can
reach on that fleet: it has no noise, no sensor faults and no false alarms outside
precursors, and it ignores precursors that maintenance averted. A precursor cut short by
the previous repair (under 1 % of them) is judged against its mode's full range, as the
simulator drew it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

from simulators.engine import Simulation
from simulators.scenario import HOUR

F64 = npt.NDArray[np.float64]
STEP_H = 1 / 6  # the fleet's 10-minute evaluation step
GRID = 2000  # points of the posterior over the precursor's length
VISIBILITIES = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3)  # degradation from which faults are seen


@dataclass(frozen=True)
class Precursor:
    """One failure's planned precursor and what was known about such precursors."""

    hours: float  # onset to failure
    strength: float
    shape: float
    prior_hours: tuple[float, float]  # the mode's precursor length range
    strength_range: tuple[float, float]
    asset: str = ""
    failure: int = 0  # epoch s


@dataclass(frozen=True)
class Window:
    """The warning window: a warning is right when failure follows within it."""

    horizon_h: float = 48.0
    min_lead_h: float = 1.0


def precursors(sim: Simulation) -> list[Precursor]:
    """Every failure with a precursor that happens inside the simulated span."""
    f = sim.config.realism.failures
    out = []
    for asset in sim.assets:
        modes = {m.name: m.precursor_hours for m in asset.equipment.modes}
        for e in sim.plan(asset).episodes:
            if not (e.happened and e.has_precursor and sim.start <= e.failure < sim.end):
                continue
            lo, hi = f.precursor_hours(e.mode, modes[e.mode])
            prior = (lo * f.precursor_scale, hi * f.precursor_scale)
            hours = (e.failure - e.onset) / HOUR
            out.append(
                Precursor(hours, e.strength, e.shape, prior, f.strength, asset.id, e.failure)
            )
    return out


def failure_odds(p: Precursor, elapsed_h: F64, window: Window = Window()) -> F64:
    """P(failure inside the window ahead | the curve up to each elapsed time)."""
    k = p.strength / p.hours**p.shape  # what the curve so far reveals
    length = np.geomspace(*p.prior_hours, GRID)
    # Log-uniform prior (1/L) on a log grid (dL ~ L) times the strength's density
    # (uniform) at k * L**shape with its Jacobian L**shape.
    weight = length**p.shape
    a = k * length**p.shape
    weight = np.where((a >= p.strength_range[0]) & (a <= p.strength_range[1]), weight, 0.0)
    ahead = length[None, :] - elapsed_h[:, None]
    alive = weight[None, :] * (ahead > 0)
    inside = alive * ((ahead >= window.min_lead_h) & (ahead <= window.horizon_h))
    total = alive.sum(axis=1)
    odds: F64 = np.divide(inside.sum(axis=1), total, out=np.zeros(len(elapsed_h)), where=total > 0)
    return odds


@dataclass(frozen=True)
class Trace:
    """The failure odds the ideal detector sees along one precursor, every step."""

    precursor: Precursor
    window: Window
    elapsed_h: F64
    odds: F64
    degradation: F64


def trace(p: Precursor, window: Window = Window()) -> Trace:
    """Odds and degradation at every evaluation step from onset to failure."""
    elapsed = np.arange(STEP_H, p.hours, STEP_H)
    degradation = p.strength * (elapsed / p.hours) ** p.shape
    return Trace(p, window, elapsed, failure_odds(p, elapsed, window), degradation)


def first_warning(route: Trace, threshold: float, visible: float = 0.0) -> float | None:
    """Elapsed hours at which the ideal detector warns, None when it never does."""
    hit = np.flatnonzero((route.odds >= threshold) & (route.degradation >= visible))
    return float(route.elapsed_h[hit[0]]) if hit.size else None


@dataclass(frozen=True)
class Bound:
    """The ideal detector's figures at one threshold and visibility."""

    threshold: float
    visible: float
    precision: float
    recall_precursor_6h: float
    lead_p10_h: float
    lead_p50_h: float
    lead_p90_h: float

    def as_dict(self) -> dict[str, float | None]:
        """JSON-ready figures (None where there is nothing to measure)."""
        return {k: (round(v, 4) if np.isfinite(v) else None) for k, v in asdict(self).items()}


def bound(routes: list[Trace], threshold: float, visible: float) -> Bound:
    """Precision, recall over precursors of 6 h or more, and lead of the ideal detector."""
    warned = right = with_6h = caught_6h = 0
    leads: list[float] = []
    for route in routes:
        p, window = route.precursor, route.window
        with_6h += p.hours >= 6
        at = first_warning(route, threshold, visible)
        if at is None:
            continue
        warned += 1
        lead = p.hours - at
        if window.min_lead_h <= lead <= window.horizon_h:
            right += 1
            caught_6h += p.hours >= 6
            leads.append(lead)
    q = np.percentile(leads, [10, 50, 90]) if leads else np.full(3, np.nan)
    return Bound(
        threshold,
        visible,
        right / warned if warned else float("nan"),
        caught_6h / with_6h if with_6h else float("nan"),
        *(float(v) for v in q),
    )


THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)
LEAD_VISIBLE = 0.1  # the fault size from which a model's lead is compared with the ideal's


def _best(routes: list[Trace], v: float, thresholds: Iterable[float], precision: float) -> Bound:
    rows = [bound(routes, c, v) for c in thresholds]
    ok = [b for b in rows if b.precision >= precision] or rows
    return max(ok, key=lambda b: (np.nan_to_num(b.lead_p50_h), b.recall_precursor_6h))


def best_bounds(
    items: list[Precursor],
    visibilities: Iterable[float],
    thresholds: Iterable[float] = THRESHOLDS,
    min_precision: float = 0.8,
) -> list[Bound]:
    """Per visibility, the threshold with the longest median lead at the precision target."""
    routes = [trace(p) for p in items]
    return [_best(routes, v, thresholds, min_precision) for v in visibilities]


@dataclass(frozen=True)
class IdealLead:
    """The ideal detector's lead on one failure (None when it does not warn in the window)."""

    asset: str
    failure: int
    lead_h: float | None


def ideal_leads(
    items: list[Precursor], visible: float = LEAD_VISIBLE, min_precision: float = 0.8
) -> list[IdealLead]:
    """Per failure, the lead of the ideal detector at its best threshold for ``visible``:
    what a model's lead on the same failure is measured against."""
    routes = [trace(p) for p in items]
    threshold = _best(routes, visible, THRESHOLDS, min_precision).threshold
    out = []
    for route in routes:
        p, w = route.precursor, route.window
        at = first_warning(route, threshold, visible)
        lead = None if at is None else p.hours - at
        ok = lead is not None and w.min_lead_h <= lead <= w.horizon_h
        out.append(IdealLead(p.asset, p.failure, lead if ok else None))
    return out
