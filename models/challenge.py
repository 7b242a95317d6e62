"""A challenger against the model in service: the same protocol, the same data, one rule.

The challenger is trained and measured by the protocol on the new data; the incumbent
scores the same rows (through its own normalisers, at its own threshold and gate) and is
judged on the same splits, periods and failures. The agreed metric is F1 of recall and
precision, averaged over the two test splits (recall over failures with a precursor of 6 h
or more where the data knows precursors, as simulated data does; over every failure
otherwise, as in a site's export). The challenger is promoted when it is higher, and on
neither test split is its recall or precision lower, or its false alarms per asset-month
higher, than the incumbent's by more than the stated margins. Recall the incumbent bought
with more false alarms than a team can act on (over the 0.1 per asset-month target, where
the challenger's are within it) is not counted as lost: those warnings get ignored, so
matching their recall would mean matching their noise. Lead is reported, not ruled
on: a model that catches only the clearest failures has a longer median lead over them, and
one that warns all the time catches failures early. The incumbent may have been trained on
part of this data, which favours it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from models.asset_frames import AssetFrame
from models.compare import TEST_SPLITS
from models.data import Dataset
from models.evaluate import Evaluation, judge_starts
from models.pipeline import FleetModel, asset_rows
from models.targets import FALSE_ALARMS_TARGET
from models.warning_rule import WarningRule, gated, warning_spans


def agreed_metric(table: dict[str, dict[str, Any]]) -> str:
    """Recall over failures with a known precursor of 6 h or more, when the data has any."""
    known = all((table[s].get("failures_precursor_6h") or 0) > 0 for s in TEST_SPLITS)
    return "recall_precursor_6h" if known else "recall"


@dataclass(frozen=True)
class Margins:
    """How much worse than the incumbent the challenger may be on the other figures."""

    recall: float = 0.05
    precision: float = 0.05
    false_alarms_per_asset_month: float = 0.02
    # Above this many false alarms per asset-month (the target) warnings are not acted on.
    usable_false_alarms: float = FALSE_ALARMS_TARGET


@dataclass
class Decision:
    """Promote or keep, why, and both models' figures on the same splits."""

    promote: bool
    reason: str
    challenger: dict[str, dict[str, Any]]
    incumbent: dict[str, dict[str, Any]] = field(default_factory=dict)
    margins: dict[str, float] = field(default_factory=dict)


def incumbent_table(
    ev: Evaluation, ds: Dataset, frames: list[AssetFrame], fleet: FleetModel
) -> dict[str, dict[str, Any]]:
    """The incumbent's figures on the challenger's splits (model scorer only)."""
    norms = {cls: cm.norm for cls, cm in fleet.classes.items()}
    mine = {r.asset: r for r in asset_rows(ds, frames, norms, fleet.windows, fleet.horizon_h)}
    rule = WarningRule(fleet.consecutive)
    out = {}
    for split in TEST_SPLITS:
        starts, closes = [], []
        for i in ev.split_assets[split]:
            rows = mine.get(ev.rows[i].asset)
            if rows is None:  # a class the incumbent never knew: it warns of nothing there
                starts.append(np.zeros(0, dtype=np.int64))
                closes.append(np.zeros(0, dtype=np.int64))
                continue
            score = gated(fleet.proba(rows), fleet.ttf_median(rows), fleet.ttf_gate_h)
            s, c = warning_spans(rows.t, score, rows.labels.usable, fleet.threshold, rule)
            starts.append(s)
            closes.append(c)
        out[split] = judge_starts(ev, starts, ev.split_assets[split], split, closes).as_dict()
    return out


def _f1(row: dict[str, Any], recall_key: str) -> float:
    r, p = _num(row, recall_key, 0.0), _num(row, "precision", 0.0)
    return 2 * r * p / (r + p) if r + p else 0.0


def _num(row: dict[str, Any], key: str, missing: float) -> float:
    v = row.get(key)
    return missing if v is None else float(v)


def decide(
    challenger: dict[str, dict[str, Any]],
    incumbent: dict[str, dict[str, Any]] | None,
    margins: Margins = Margins(),
) -> Decision:
    """Whether the challenger replaces the incumbent, by the rule above."""
    mine = {s: challenger[s]["model"] for s in TEST_SPLITS}
    if incumbent is None:
        return Decision(True, "no model in service", mine, {}, asdict(margins))
    metric = agreed_metric(mine)
    ours = float(np.mean([_f1(mine[s], metric) for s in TEST_SPLITS]))
    theirs = float(np.mean([_f1(incumbent[s], metric) for s in TEST_SPLITS]))
    worse = []
    for s in TEST_SPLITS:
        a, b = mine[s], incumbent[s]
        fa = "false_alarms_per_asset_month"
        noisy = _num(b, fa, 0.0) > margins.usable_false_alarms >= _num(a, fa, 0.0)
        if _num(a, metric, 0.0) < _num(b, metric, 0.0) - margins.recall and not noisy:
            worse.append(f"recall on {s}")
        if _num(a, "precision", 0.0) < _num(b, "precision", 0.0) - margins.precision:
            worse.append(f"precision on {s}")
        if _num(a, fa, 0.0) > _num(b, fa, 0.0) + margins.false_alarms_per_asset_month:
            worse.append(f"false alarms on {s}")
    head = f"F1 ({metric}, precision) {ours:.3f} against {theirs:.3f}"
    if ours <= theirs:
        return Decision(False, f"not better: {head}", mine, incumbent, asdict(margins))
    if worse:
        why = f"better ({head}) but worse beyond the margin: {', '.join(worse)}"
        return Decision(False, why, mine, incumbent, asdict(margins))
    return Decision(True, f"better: {head}, within the margins", mine, incumbent, asdict(margins))
