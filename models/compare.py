"""The model against the baselines at its own operating point, each baseline at its best
threshold on the split itself (an oracle choice): its recall at no more false alarms per
asset-month than the model's, and its precision and false alarms at no less recall."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from models.evaluate import Evaluation, outcome, threshold_candidates

TEST_SPLITS = ("test_time", "test_assets")
BASELINES = ("isolation_forest", "static_threshold")
Point = dict[str, float | int | None]
Points = dict[tuple[str, str], list[Point]]


def recall_key(row: dict[str, Any]) -> str:
    """Recall over failures with a precursor of 6 h or more where the data knows precursors."""
    return "recall_precursor_6h" if (row.get("failures_precursor_6h") or 0) > 0 else "recall"


def points_of(ev: Evaluation, scorer: str, split: str) -> list[Point]:
    """The scorer's outcome on ``split`` at each of its candidate thresholds."""
    t0, t1 = ev.periods[split]
    parts = [
        ev.scores[scorer][i][(ev.rows[i].t >= t0) & (ev.rows[i].t < t1)]
        for i in ev.split_assets[split]
    ]
    values = np.concatenate(parts) if parts else np.zeros(0)
    return [
        outcome(ev, scorer, split, float(c), ev.fleet.consecutive).as_dict()
        for c in (threshold_candidates(values) if values.size else [])
    ]


def baseline_points(ev: Evaluation, splits: Sequence[str] = TEST_SPLITS) -> Points:
    """Every baseline's points on every split of ``splits``."""
    return {(b, s): points_of(ev, b, s) for s in splits for b in BASELINES}


def recall_at(
    ev: Evaluation,
    scorer: str,
    split: str,
    false_alarms: float,
    key: str,
    points: list[Point] | None = None,
) -> float:
    """The scorer's best recall on ``split`` at no more than ``false_alarms`` per
    asset-month, over its candidate thresholds (an oracle choice: the baseline at its best)."""
    points = points_of(ev, scorer, split) if points is None else points
    return max(
        (
            float(p[key] or 0.0)
            for p in points
            if float(p["false_alarms_per_asset_month"] or 0.0) <= false_alarms + 1e-12
        ),
        default=0.0,
    )


def precision_at(points: list[Point], recall: float, key: str) -> dict[str, float | None]:
    """The best precision over the points with at least ``recall`` (the fewer false alarms
    on a tie), and its false alarms; None for both when no point reaches it."""
    reach = [p for p in points if float(p[key] or 0.0) >= recall - 1e-12]
    if not reach:
        return {"precision": None, "false_alarms_per_asset_month": None}
    best = max(
        reach,
        key=lambda p: (
            float(p["precision"] or 0.0),
            -float(p["false_alarms_per_asset_month"] or 0.0),
        ),
    )
    return {
        "precision": float(best["precision"] or 0.0),
        "false_alarms_per_asset_month": float(best["false_alarms_per_asset_month"] or 0.0),
    }


def same_false_alarms(
    ev: Evaluation, points: Points | None = None, splits: Sequence[str] = TEST_SPLITS
) -> dict[str, dict[str, Any]]:
    """Per split: the model's false alarms and recall, each baseline's recall at them,
    and the model's margin over the better baseline."""
    points = baseline_points(ev, splits) if points is None else points
    out = {}
    for split in splits:
        row = ev.table[split]["model"]
        key = recall_key(row)
        fa = float(row["false_alarms_per_asset_month"] or 0.0)
        recalls = {b: recall_at(ev, b, split, fa, key, points[b, split]) for b in BASELINES}
        model = float(row[key] or 0.0)
        out[split] = {
            "recall": key,
            "false_alarms_per_asset_month": fa,
            "model": model,
            **recalls,
            "margin": model - max(recalls.values()),
        }
    return out


def same_recall(ev: Evaluation, points: Points | None = None) -> dict[str, dict[str, Any]]:
    """Per test split: the model's recall, precision and false alarms, and each baseline's
    best precision (with its false alarms) at no less recall; None where it never reaches
    the model's recall."""
    points = baseline_points(ev) if points is None else points
    out = {}
    for split in TEST_SPLITS:
        row = ev.table[split]["model"]
        key = recall_key(row)
        recall = float(row[key] or 0.0)
        out[split] = {
            "recall": key,
            "model": {
                key: recall,
                "precision": row["precision"],
                "false_alarms_per_asset_month": row["false_alarms_per_asset_month"],
            },
            **{b: precision_at(points[b, split], recall, key) for b in BASELINES},
        }
    return out
