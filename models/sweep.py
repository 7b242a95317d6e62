"""Every time-to-failure gate and threshold on every split: what the validation rule chose
among, and how far lead could go at a given precision."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from models.evaluate import Evaluation, outcome
from models.targets import FALSE_ALARMS_TARGET, PRECISION_TARGET
from models.warning_rule import gated

GATES_H = (float("inf"), 72.0, 48.0, 36.0, 30.0, 24.0, 18.0)
THRESHOLDS = (0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
SPLITS = ("validation", "test_time", "test_assets")


def sweep(
    ev: Evaluation,
    gates_h: tuple[float, ...] = GATES_H,
    thresholds: tuple[float, ...] = THRESHOLDS,
) -> list[dict[str, Any]]:
    """The model's outcome per gate, threshold and split (one row each); ``ev`` is left as
    it was."""
    proba = ev.scores.get("probability", ev.scores["model"])
    rows = []
    for gate in gates_h:
        scores = [gated(p, t, gate) for p, t in zip(proba, ev.ttf_median, strict=True)]
        at_gate = replace(ev, scores={**ev.scores, "model": scores})
        gate_h = gate if np.isfinite(gate) else None
        for threshold in thresholds:
            for split in SPLITS:
                o = outcome(at_gate, "model", split, threshold, ev.fleet.consecutive)
                rows.append(
                    {"gate_h": gate_h, "threshold": threshold, "split": split, **o.as_dict()}
                )
    return rows


def longest_lead(
    rows: list[dict[str, Any]],
    precision: float = PRECISION_TARGET,
    false_alarms: float = FALSE_ALARMS_TARGET,
) -> dict[str, dict[str, Any] | None]:
    """Per split, the row with the longest median lead at that precision and false-alarm
    rate (None where no row meets them)."""
    out: dict[str, dict[str, Any] | None] = {}
    for split in SPLITS:
        ok = [
            r
            for r in rows
            if r["split"] == split
            and r["lead_p50_h"] is not None
            and (r["precision"] or 0.0) >= precision
            and (r["false_alarms_per_asset_month"] or 0.0) <= false_alarms
        ]
        out[split] = max(ok, key=lambda r: r["lead_p50_h"]) if ok else None
    return out
