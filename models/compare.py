"""The model against the baselines at the same false alarms: each baseline at its best
threshold on the split itself with no more false alarms per asset-month than the model's."""

from __future__ import annotations

from typing import Any

import numpy as np

from models.evaluate import Evaluation, outcome, threshold_candidates

TEST_SPLITS = ("test_time", "test_assets")
BASELINES = ("isolation_forest", "static_threshold")


def recall_key(row: dict[str, Any]) -> str:
    """Recall over failures with a precursor of 6 h or more where the data knows precursors."""
    return "recall_precursor_6h" if (row.get("failures_precursor_6h") or 0) > 0 else "recall"


def recall_at(ev: Evaluation, scorer: str, split: str, false_alarms: float, key: str) -> float:
    """The scorer's best recall on ``split`` at no more than ``false_alarms`` per
    asset-month, over its candidate thresholds (an oracle choice: the baseline at its best)."""
    t0, t1 = ev.periods[split]
    parts = [
        ev.scores[scorer][i][(ev.rows[i].t >= t0) & (ev.rows[i].t < t1)]
        for i in ev.split_assets[split]
    ]
    values = np.concatenate(parts) if parts else np.zeros(0)
    best = 0.0
    for c in threshold_candidates(values) if values.size else []:
        d = outcome(ev, scorer, split, float(c), ev.fleet.consecutive).as_dict()
        if (d["false_alarms_per_asset_month"] or 0.0) <= false_alarms + 1e-12:
            best = max(best, float(d[key] or 0.0))
    return best


def same_false_alarms(ev: Evaluation) -> dict[str, dict[str, Any]]:
    """Per test split: the model's false alarms and recall, each baseline's recall at them,
    and the model's margin over the better baseline."""
    out = {}
    for split in TEST_SPLITS:
        row = ev.table[split]["model"]
        key = recall_key(row)
        fa = float(row["false_alarms_per_asset_month"] or 0.0)
        recalls = {b: recall_at(ev, b, split, fa, key) for b in BASELINES}
        model = float(row[key] or 0.0)
        out[split] = {
            "recall": key,
            "false_alarms_per_asset_month": fa,
            "model": model,
            **recalls,
            "margin": model - max(recalls.values()),
        }
    return out
