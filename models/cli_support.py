"""What the `plantwatch model` commands share: loading a dataset or a donor, progress."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from models.data import Dataset
    from models.pipeline import FleetModel

console = Console(soft_wrap=True)
DONOR_HELP = (
    "Registry of a model trained elsewhere (its version in service): it scores each class "
    "until this data's own warner does better on validation"
)


def load_or_exit(data: Path) -> Dataset:
    """Load a dataset or print what is wrong with it and exit 2."""
    from models.data import DataError, load_dataset

    try:
        return load_dataset(data)
    except DataError as exc:
        Console(stderr=True, soft_wrap=True).print(
            f"[red]unusable dataset[/red]: {escape(str(exc))}"
        )
        raise typer.Exit(2) from exc


def progress_bar(total: int) -> tuple[Any, Any]:
    """A transient progress bar and the callback that advances it."""
    from rich.progress import Progress

    bar = Progress(console=console, transient=True)
    task = bar.add_task("features and models", total=total)
    return bar, lambda _name, n: bar.advance(task, n)


def donor_model(registry: Path | None) -> FleetModel | None:
    """The model in service in a donor registry (None without one)."""
    if registry is None:
        return None
    from models.registry import load

    fleet, _ = load(registry)
    return fleet


def print_caution(meta: dict[str, Any]) -> None:
    """Print the caution a donor's record carries (``models.donors``), if any, to stderr."""
    caution = meta.get("donor_caution")
    if caution:
        Console(stderr=True, soft_wrap=True).print(f"[yellow]caution[/yellow]: {escape(caution)}")
