"""An evaluation as the terminal shows it: the data check, the splits' tables, the sweep."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from models.evaluate import Evaluation


def tables(console: Console, ev: Evaluation) -> None:
    """Every scorer on every split, then where the model's lead goes, the time to failure at
    its warnings, and each class on the test splits."""
    _split_tables(console, ev)
    lead_table(console, ev)
    _ttf_table(console, ev)
    class_tables(console, ev)


def _fmt(v: Any) -> str:
    return "-" if v is None else str(v)


def class_tables(console: Console, ev: Evaluation) -> None:
    """Per class on each test split: failures, the model's recall, precision, false alarms
    and median lead, and the better baseline's recall and precision, and who scores it."""
    for split in ("test_time", "test_assets"):
        table = Table(
            "class",
            "scored by",
            "failures (p≥6 h)",
            "recall p≥6 h",
            "precision",
            "FA/asset-month",
            "median lead h",
            "best baseline recall / precision",
            title=f"{split}, per class",
        )
        for cls, by in ev.class_table.get(split, {}).items():
            m = by["model"]
            base = max(
                (by["isolation_forest"], by["static_threshold"]),
                key=lambda o: o["recall_precursor_6h"] or 0.0,
            )
            cm = ev.fleet.classes.get(cls)
            table.add_row(
                cls,
                "warner" if cm is not None and cm.warner.learned_failures else "health only",
                f"{m['failures']} ({m['failures_precursor_6h']})",
                _fmt(m["recall_precursor_6h"]),
                _fmt(m["precision"]),
                _fmt(m["false_alarms_per_asset_month"]),
                _fmt(m["lead_p50_h"]),
                f"{_fmt(base['recall_precursor_6h'])} / {_fmt(base['precision'])}",
            )
        console.print(table)


def _split_tables(console: Console, ev: Evaluation) -> None:
    keys = (
        ("recall_precursor_6h", "recall (precursor ≥6 h)"),
        ("recall", "recall (all)"),
        ("recall_lead_24h", "recall (≥24 h lead)"),
        ("precision", "precision"),
        ("false_alarms_per_asset_month", "false alarms/asset-month"),
        ("lead_p50_h", "median lead h"),
        ("recall_lead_24h_precursor_24h", "≥24 h lead (precursor ≥24 h)"),
        ("recall_lead_48h_precursor_48h", "≥48 h lead (precursor ≥48 h)"),
        ("warnings", "warnings"),
    )
    for split, by in ev.table.items():
        n = next(iter(by.values()))["failures"]
        table = Table("scorer", *(label for _, label in keys), title=f"{split} ({n} failures)")
        for scorer, row in by.items():
            table.add_row(scorer, *("-" if row[k] is None else str(row[k]) for k, _ in keys))
        console.print(table)
        model = by["model"]
        if model["ideal_lead_p50_h"] is not None:
            console.print(
                f"  lead efficiency {model['lead_efficiency']}: the model's median lead "
                f"{model['lead_p50_h']} h against {model['ideal_lead_p50_h']} h for an ideal "
                "detector on the same failures, seeing each fault from a tenth of its size"
            )


def lead_table(console: Console, ev: Evaluation) -> None:
    """Where the model's lead goes on each split (``models.lead_losses``)."""
    from models.lead_losses import lead_losses

    table = Table(
        "split",
        "failures",
        "ideal h",
        "probability reaches the threshold h",
        "gated score does h",
        "warning opens h",
        "expected / true time to failure at that crossing h",
        "held by the gate",
        title="where the lead goes: median hours before failure (0 where never), "
        "failures with a precursor of 6 h or more where the split has any",
    )
    for split in ev.periods:
        d = lead_losses(ev, split)
        table.add_row(
            split,
            str(d.failures),
            _fmt(d.ideal_h),
            _fmt(d.probability_h),
            _fmt(d.gated_h),
            _fmt(d.warning_h),
            f"{_fmt(d.expected_ttf_h)} / {_fmt(d.true_ttf_h)}",
            _fmt(d.beyond_gate),
        )
    console.print(table)


def _ttf_table(console: Console, ev: Evaluation) -> None:
    lo, hi = ev.fleet.ttf_margin_rel
    table = Table(
        "split",
        "holds the failure",
        "failure before its low end",
        "median's median error h",
        "median width h",
        title=f"time to failure at each warning's opening, 10-90 % interval (calibrated on "
        f"validation: low end moved out by {lo:+.0%} of the expected time, high end by "
        f"{hi:+.0%})",
    )
    for split, row in ev.ttf_table.items():
        table.add_row(split, *("-" if v is None else str(v) for v in row.values()))
    console.print(table)


def sweep_table(console: Console, ev: Evaluation) -> None:
    """Every time-to-failure gate and threshold on every split, and the longest leads."""
    from models.sweep import SPLITS, longest_lead, sweep

    rows = sweep(ev)
    table = Table("gate h", "thr", title="recall (p≥6 h) / precision / FA per asset-month / lead h")
    for split in SPLITS:
        table.add_column(split, overflow="fold")
    cells: dict[tuple[Any, float], list[str]] = {}
    for r in rows:
        cells.setdefault((r["gate_h"], r["threshold"]), []).append(
            "/".join("-" if r[k] is None else f"{r[k]:{f}}" for k, f in _SWEPT)
        )
    for (gate, threshold), per_split in cells.items():
        table.add_row("none" if gate is None else f"{gate:g}", f"{threshold:g}", *per_split)
    console.print(table)
    for split, best in longest_lead(rows).items():
        console.print(
            f"{split}: longest median lead at precision ≥ 0.8 and ≤ 0.1 false alarms: "
            + (
                "none"
                if best is None
                else f"{best['lead_p50_h']} h (gate {best['gate_h']}, "
                f"threshold {best['threshold']})"
            )
        )


_SWEPT = (
    ("recall_precursor_6h", ".2f"),
    ("precision", ".2f"),
    ("false_alarms_per_asset_month", ".2f"),
    ("lead_p50_h", ".0f"),
)


def findings(console: Console, ev: Evaluation, shown: int = 12) -> None:
    """What the data check found, the first ``shown`` of it."""
    if not ev.findings:
        console.print("data check: nothing to report")
        return
    console.print(f"[yellow]data check: {len(ev.findings)} finding(s)[/yellow]")
    for f in ev.findings[:shown]:
        console.print(f"  {f}")
    if len(ev.findings) > shown:
        console.print(
            f"  ... and {len(ev.findings) - shown} more (all in the registry's meta.json)"
        )
