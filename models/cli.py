"""`plantwatch model`: work with training data and failure-warning models."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Failure-warning models: data, training, evaluation.", no_args_is_help=True)
console = Console()


@app.command()
def inspect(
    data: Path = typer.Argument(..., help="Directory with telemetry and events files"),
) -> None:
    """Summarise a dataset: assets by class, signals, time span, failures by mode."""
    from models.data import DataError, load_dataset

    try:
        ds = load_dataset(data)
    except DataError as exc:
        console.print(f"[red]unusable dataset[/red]: {exc}")
        raise typer.Exit(2) from exc
    first, last = ds.span()
    fmt = "%Y-%m-%d %H:%M"
    console.print(
        f"{data}: {ds.telemetry.num_rows:,} readings of {len(ds.assets)} assets from "
        f"{datetime.fromtimestamp(first, UTC):{fmt}} to "
        f"{datetime.fromtimestamp(last, UTC):{fmt}} UTC"
    )
    by_class = Counter(ds.asset_classes.get(a, "unknown") for a in ds.assets)
    failures = ds.failures()
    modes = Counter(failures.column("mode").to_pylist())
    table = Table("asset class", "assets")
    for cls, n in sorted(by_class.items()):
        table.add_row(cls, str(n))
    console.print(table)
    table = Table("failure mode", "failures")
    for mode, n in modes.most_common():
        table.add_row(mode or "(none given)", str(n))
    console.print(table)
    kinds = Counter(ds.events.column("kind").to_pylist())
    console.print("events: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
