"""A small site's operating point, chosen over its training period as well as validation.

Fewer validation failures than ``TUNING_FAILURES`` cannot choose a threshold. A site that
keeps a donor's class holds the donor's point; a site whose own warners score every class
has no such point to hold, but its training period holds most of its failures. So two
warners, each fitted on half of the training assets, score the other half's training rows
(out of fold: no row is scored by a warner that learned from its asset), and the threshold,
gate and run are chosen over the training period and validation together, on those scores
and the site's own beyond the training rows. The normalisers stay the site's (fitted on
every training asset, without labels).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy.typing as npt

from models.evaluation import Evaluation, Protocol, outcome, split_assets
from models.normalise import ClassNormaliser
from models.pipeline import AssetRows, FleetModel, fit_classes
from models.transfer import Keep
from models.tuning import choose_operating_point, hold_operating_point

F64 = npt.NDArray[np.float64]


def out_of_fold(
    ev: Evaluation, norms: dict[str, ClassNormaliser], keep: Keep, seed: int
) -> tuple[list[F64], list[F64]]:
    """Per row, the failure probability and median hours to failure, where ``keep`` marks a
    training row of a training asset, from a warner fitted on the other half of those
    assets; the site's own scores elsewhere."""
    proba = [p.copy() for p in ev.scores.get("probability", ev.scores["model"])]
    ttf = [t.copy() for t in ev.ttf_median]
    seen = ev.split_assets["validation"]
    # Folds only warn; the site's health scores stand in rather than being fitted twice more.
    site_health = {c: m.health for c, m in ev.fleet.classes.items()}
    half = split_assets([ev.rows[i].asset_class for i in seen], 0.5, seed + 1)
    first = {ev.rows[i].asset for i, h in zip(seen, half, strict=True) if h}
    second = {ev.rows[i].asset for i in seen} - first
    for scored, learns in ((first, second), (second, first)):

        def learned(r: AssetRows, learns: set[str] = learns) -> npt.NDArray[np.bool_]:
            return keep(r) & (r.asset in learns)

        models = fit_classes(ev.rows, norms, learned, seed, health=site_health, name_modes=False)
        fold = FleetModel(models, ev.fleet.windows)
        for i in seen:
            r = ev.rows[i]
            m = keep(r)
            if r.asset not in scored or not m.any():
                continue
            p = fold.proba(r)
            proba[i][m] = p[m]
            ttf[i][m] = fold.ttf_median(r, where=p > 0.0)[m]
    return proba, ttf


def choose_with_training(
    ev: Evaluation, norms: dict[str, ClassNormaliser], keep: Keep, protocol: Protocol
) -> int:
    """Choose the model's operating point over the training period (out of fold) and
    validation together; returns the failures it was chosen over."""
    proba, ttf = out_of_fold(ev, norms, keep, protocol.seed)
    start = ev.periods["test_assets"][0]
    pooled = replace(
        ev,
        periods={**ev.periods, "validation": (start, ev.periods["validation"][1])},
        scores={"model": proba},
        thresholds={},
        ttf_median=ttf,
    )
    choose_operating_point(pooled, ttf, protocol.ttf_gates_h, protocol.runs)
    fleet = pooled.fleet
    hold_operating_point(ev, pooled.thresholds["model"], fleet.ttf_gate_h, fleet.consecutive)
    return outcome(pooled, "model", "validation", pooled.thresholds["model"], 1).failures
