"""`plantwatch model replay`: a new site's first months week by week, each week scored by
the model the site would have had then (``models.weeks_ahead``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

console = Console(soft_wrap=True)


def replay(
    data: Path = typer.Argument(..., help="Directory with the site's telemetry and events"),
    donor: Path = typer.Option(..., help="Registry of a model trained elsewhere"),
    first_days: float = typer.Option(7.0, min=1.0, help="Days of history before the first week"),
    every_days: float = typer.Option(7.0, min=1.0, help="Days between retrainings"),
    horizon_h: float = typer.Option(48.0, help="Warning horizon in hours"),
    json_out: bool = typer.Option(False, "--json", help="Print the figures as JSON"),
) -> None:
    """Replay a site from its first week: retrain every week on the history so far (the
    donor alone until the protocol's splits fit) and measure the next week's warnings."""
    from models.asset_frames import build_frames
    from models.cli_support import donor_model, load_or_exit, print_caution
    from models.donors import read_donor
    from models.evaluate import Protocol
    from models.provenance import computed_with
    from models.weeks_ahead import replay as run

    ds = load_or_exit(data)
    fleet = donor_model(donor)
    assert fleet is not None
    frames = build_frames(ds)
    with console.status("replaying the site week by week", spinner="dots") as status:

        def step(name: str, _n: int) -> None:
            status.update(f"replaying the site: {name} done")

        result = run(
            ds,
            frames,
            fleet,
            Protocol(horizon_h=horizon_h),
            first_days=first_days,
            every_days=every_days,
            progress=step,
        )
    body = result.table()
    # The donor alone scores the site's first weeks, every class of the site it knows.
    scored = sorted(set(fleet.classes) & {f.asset_class for f in frames})
    about_donor = read_donor(donor).as_meta(scored)
    print_caution(about_donor)
    if json_out:
        print(json.dumps({**body, **about_donor, "computed_with": computed_with()}, indent=2))
        return
    _print(body)


def _day(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d")


def _print(body: dict[str, Any]) -> None:
    table = Table(
        "week from", "scored by", "site's own classes", "failures", "caught", "false alarms"
    )
    for w in body["weeks"]:
        table.add_row(
            _day(w["start"]),
            w["model"],
            ", ".join(w["site_classes"]) or "-",
            str(w["failures"]),
            str(w["caught"]),
            str(w["false_alarms"]),
        )
    console.print(table)
    same = body["same_false_alarms"]
    console.print(
        f"weeks ahead: at {same['false_alarms_per_asset_month']:.3f} false alarms per "
        f"asset-month, {same['recall']} model {same['model']:.3f}, isolation forest "
        f"{same['isolation_forest']:.3f}, static thresholds {same['static_threshold']:.3f} "
        f"(margin {same['margin']:+.3f}); precision {body['model']['precision'] or 0.0:.3f}"
    )
