"""The promotion rule: better on the agreed recall, and no worse than the margins elsewhere."""

from __future__ import annotations

from typing import Any

from models.challenge import Margins, agreed_metric, decide


def _row(recall: float, precision: float, fa: float, early: float, pre6: int = 0) -> dict[str, Any]:
    return {
        "recall_lead_24h": early,
        "recall": recall,
        "recall_precursor_6h": recall if pre6 else None,
        "failures_precursor_6h": pre6,
        "precision": precision,
        "false_alarms_per_asset_month": fa,
    }


def _table(row: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s: {"model": row} for s in ("validation", "test_time", "test_assets")}


def _figures(row: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s: row for s in ("test_time", "test_assets")}


def test_the_challenger_replaces_the_incumbent_only_when_it_wins_within_the_margins() -> None:
    incumbent = _figures(_row(0.70, 0.85, 0.05, 0.30))
    first = decide(_table(_row(0.60, 0.80, 0.10, 0.20)), None)
    assert first.promote and first.reason == "no model in service"
    better = decide(_table(_row(0.80, 0.83, 0.06, 0.10)), incumbent)
    assert better.promote and better.reason.startswith("better: F1 (recall, precision) 0.815")
    worse_f1 = decide(_table(_row(0.72, 0.70, 0.06, 0.40)), incumbent)
    assert not worse_f1.promote and worse_f1.reason.startswith("not better")
    # a model that warns all the time catches everything: its F1 may win, the guards do not
    noisy = decide(_table(_row(1.00, 0.75, 0.10, 0.90)), incumbent)
    assert not noisy.promote
    assert (
        "precision on test_time" in noisy.reason and "false alarms on test_assets" in noisy.reason
    )
    timid = decide(_table(_row(0.64, 1.00, 0.00, 0.10)), incumbent)
    assert not timid.promote and "recall on test_time" in timid.reason
    # recall an incumbent bought with warnings nobody can act on is not a loss to match
    noisy_incumbent = _figures(_row(0.70, 0.40, 0.35, 0.30))
    usable = decide(_table(_row(0.45, 0.90, 0.03, 0.10)), noisy_incumbent)
    assert usable.promote, usable.reason
    still_noisy = decide(_table(_row(0.45, 0.90, 0.15, 0.10)), noisy_incumbent)
    assert not still_noisy.promote and "recall on test_time" in still_noisy.reason
    loose = decide(_table(_row(1.00, 0.75, 0.10, 0.90)), incumbent, Margins(0.1, 0.2, 0.1))
    assert loose.promote


def test_recall_counts_known_precursors_when_the_data_has_them() -> None:
    assert agreed_metric(_figures(_row(0.5, 0.9, 0.0, 10.0, pre6=12))) == "recall_precursor_6h"
    assert agreed_metric(_figures(_row(0.5, 0.9, 0.0, 10.0))) == "recall"
