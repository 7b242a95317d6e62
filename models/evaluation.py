"""What the protocol produces and how one set of warnings is judged: the splits, the
scores, the tables (``models.evaluate`` fills them; ``models.tuning`` chooses thresholds)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from models.pipeline import AssetRows, FleetModel
from models.quality import Finding
from models.transfer import Choice
from models.warning_rule import WarningRule, warning_spans
from models.warnings import Outcome, judge

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Protocol:
    """Split shares and the warning rule."""

    train_share: float = 0.6
    validation_share: float = 0.2
    holdout_assets: float = 0.25
    horizon_h: float = 48.0
    seed: int = 0
    # Candidate limits on the median expected time to failure before a warning opens, and
    # candidate runs of high hourly evaluations that open one, chosen on validation with
    # the threshold (ties go to the earlier: the looser gate, the longer run).
    ttf_gates_h: tuple[float, ...] = (float("inf"), 72.0, 48.0, 36.0, 33.0, 30.0, 27.0, 24.0)
    runs: tuple[int, ...] = (2, 1)


@dataclass
class Evaluation:
    """Everything the protocol produced: the model, scores and the tables."""

    fleet: FleetModel
    rows: list[AssetRows]
    periods: dict[str, tuple[int, int]]
    split_assets: dict[str, list[int]]
    scores: dict[str, list[F64]]
    thresholds: dict[str, float]
    table: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    precursor_h: list[F64] = field(default_factory=list)  # per row: hours of each precursor
    ttf_median: list[F64] = field(default_factory=list)  # per row: median hours to failure
    ideal_h: list[F64] = field(default_factory=list)  # per row: an ideal detector's leads
    ttf_table: dict[str, dict[str, float | None]] = field(default_factory=dict)  # per split
    # split -> asset class -> scorer -> figures, at the fleet's thresholds
    class_table: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    choices: dict[str, Choice] = field(default_factory=dict)  # per class: site or donor
    operating_point: str = "chosen on validation"


Spans = tuple[list[I64], list[I64]]


def split_assets(classes: list[str], share: float, seed: int) -> npt.NDArray[np.bool_]:
    """Which assets (given their classes) are held out: ``share`` of each class, at random."""
    rng = np.random.default_rng(seed)
    held = np.zeros(len(classes), dtype=bool)
    for cls in sorted(set(classes)):
        idx = [i for i, c in enumerate(classes) if c == cls]
        n = round(len(idx) * share)
        held[rng.choice(idx, n, replace=False)] = True
    return held


def spans_of(
    rows: list[AssetRows], scores: list[F64], which: list[int], threshold: float, k: int
) -> Spans:
    """Warning open and close times of the assets ``which`` at ``threshold``, opening
    after ``k`` high evaluations."""
    rule = WarningRule(k)
    spans = [
        warning_spans(rows[i].t, scores[i], rows[i].labels.usable, threshold, rule) for i in which
    ]
    return [s for s, _ in spans], [c for _, c in spans]


def outcome(
    ev: Evaluation,
    scorer: str,
    split: str,
    threshold: float,
    k: int,
    asset_class: str | None = None,
    period: tuple[int, int] | None = None,
) -> Outcome:
    """One scorer's warnings on one split at one threshold (of one class's assets), judged
    over the split's period or ``period``."""
    which = [
        i
        for i in ev.split_assets[split]
        if asset_class is None or ev.rows[i].asset_class == asset_class
    ]
    starts, closes = spans_of(ev.rows, ev.scores[scorer], which, threshold, k)
    return judge_starts(ev, starts, which, split, closes, period)


def random_outcome(ev: Evaluation, split: str, n: int, seed: int) -> Outcome:
    """A warner that raises ``n`` warnings at random usable instants of the split."""
    rng = np.random.default_rng(seed)
    which = ev.split_assets[split]
    t0, t1 = ev.periods[split]
    h = int(ev.fleet.horizon_h * 3600)
    pool = [
        (j, t)
        for j, i in enumerate(which)
        for t in ev.rows[i].t[
            (ev.rows[i].t >= t0) & (ev.rows[i].t < t1 - h) & ev.rows[i].labels.usable
        ]
    ]
    picks: list[int] = (
        rng.choice(len(pool), min(n, len(pool)), replace=False).tolist() if pool else []
    )
    starts: list[list[int]] = [[] for _ in which]
    for p in picks:
        j, t = pool[p]
        starts[j].append(int(t))
    return judge_starts(ev, [np.sort(np.array(s, dtype=np.int64)) for s in starts], which, split)


def judge_starts(
    ev: Evaluation,
    starts: list[I64],
    which: list[int],
    split: str,
    closes: list[I64] | None = None,
    period: tuple[int, int] | None = None,
) -> Outcome:
    """Warning starts (and closes; without them, warnings close as they open) of the
    split's assets ``which`` against their failures, over the split's period or ``period``."""
    return judge(
        starts,
        [ev.rows[i].history.failures for i in which],
        [ev.precursor_h[i] for i in which],
        ev.periods[split] if period is None else period,
        ev.fleet.horizon_h,
        ideal_h=[ev.ideal_h[i] for i in which] if ev.ideal_h else None,
        step_s=ev.fleet.windows.step_s,
        closes=closes,
    )
