"""`plantwatch model versions`: what a registry holds, which version scores, and why each
was stored (its figures on unseen assets, the challenge it won or lost, its donor)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console(soft_wrap=True)


def versions(
    registry: Path = typer.Option(Path("var/models"), help="Model registry directory"),
    as_json: bool = typer.Option(False, "--json", help="Print the versions as JSON"),
) -> None:
    """List a registry's versions, oldest first: which one is in service and why each was
    stored."""
    rows = describe(registry)
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    if not rows:
        console.print(f"{registry}: no model versions")
        return
    table = Table(caption="on each version's unseen assets; FA/am: false alarms per asset-month")
    table.add_column("version", no_wrap=True)
    for name in ("serving", "threshold", "recall", "precision", "FA/am"):
        table.add_column(name, no_wrap=True)
    for r in rows:
        unseen = r["unseen_assets"] or {}
        table.add_row(
            r["version"],
            "yes" if r["in_service"] else ("no, old" if r["stale"] else "no"),
            _fmt(r["threshold"]),
            *(_fmt(unseen.get(k)) for k in ("recall", "precision", "false_alarms")),
        )
    console.print(table)
    for r in rows:
        console.print(f"{r['version']}: {escape(r['why'])}")
        if r["donor_caution"]:
            console.print(f"  [yellow]caution[/yellow]: {escape(r['donor_caution'])}")


def describe(registry_dir: Path) -> list[dict[str, Any]]:
    """Each stored version, oldest first, with what its record says of it."""
    from models import registry

    scored = registry.versions(registry_dir)
    stale = registry.versions(registry_dir, stale=True)
    serving = registry.in_service(registry_dir)
    out = []
    for name in sorted([*scored, *stale]):
        meta: dict[str, Any] = json.loads((registry_dir / name / "meta.json").read_text())
        out.append(
            {
                "version": name,
                "created_at": meta.get("created_at"),
                "in_service": name == serving,
                "stale": name in stale,
                "threshold": meta.get("threshold"),
                "unseen_assets": _unseen(meta),
                "why": _why(meta),
                "donor": meta.get("donor"),
                "donor_caution": meta.get("donor_caution"),
            }
        )
    return out


def _unseen(meta: dict[str, Any]) -> dict[str, float | None] | None:
    """The model's figures on the unseen assets, where the protocol measured it."""
    from models.donors import unseen_assets_row

    row = unseen_assets_row(meta)
    if row is None:
        return None
    return {
        "recall": row["recall"],
        "precision": row["precision"],
        "false_alarms": row["false_alarms_per_asset_month"],
    }


def _why(meta: dict[str, Any]) -> str:
    """How the version came to be stored: a retraining round's decision, or training."""
    challenge = meta.get("challenge")
    if challenge:
        verdict = "promoted" if challenge["promoted"] else "kept out of service"
        return f"retraining round, {verdict}: {challenge['reason']}"
    point = meta.get("operating_point")
    return f"trained on {meta.get('data', 'unknown data')}" + (f" ({point})" if point else "")


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"
