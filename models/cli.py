"""`plantwatch model`: work with training data and failure-warning models."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    pass

from models import report
from models.cli_support import (
    DONOR_HELP,
    donor_model,
    load_or_exit,
    print_caution,
    progress_bar,
)
from models.cmapss_cli import cmapss, convert_cmapss
from models.replay_cli import replay
from models.versions_cli import versions

app = typer.Typer(help="Failure-warning models: data, training, evaluation.", no_args_is_help=True)
console = Console(soft_wrap=True)


@app.command()
def inspect(
    data: Path = typer.Argument(..., help="Directory with telemetry and events files"),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON"),
) -> None:
    """Summarise a dataset: assets by class, signals, time span, failures by mode."""
    ds = load_or_exit(data)
    first, last = ds.span()
    by_class = Counter(ds.asset_classes.get(a, "unknown") for a in ds.assets)
    failures = ds.failures()
    modes = Counter(failures.column("mode").to_pylist())
    kinds = Counter(ds.events.column("kind").to_pylist())
    if as_json:
        summary = {
            "data": str(data),
            "readings": ds.telemetry.num_rows,
            "assets": len(ds.assets),
            "first": datetime.fromtimestamp(first, UTC).isoformat(),
            "last": datetime.fromtimestamp(last, UTC).isoformat(),
            "classes": dict(sorted(by_class.items())),
            "failures_by_mode": {m or "": n for m, n in modes.most_common()},
            "events": dict(sorted(kinds.items())),
        }
        print(json.dumps(summary, indent=2))
        return
    fmt = "%Y-%m-%d %H:%M"
    console.print(
        f"{data}: {ds.telemetry.num_rows:,} readings of {len(ds.assets)} assets from "
        f"{datetime.fromtimestamp(first, UTC):{fmt}} to "
        f"{datetime.fromtimestamp(last, UTC):{fmt}} UTC"
    )
    table = Table("asset class", "assets")
    for cls, n in sorted(by_class.items()):
        table.add_row(cls, str(n))
    console.print(table)
    table = Table("failure mode", "failures")
    for mode, n in modes.most_common():
        table.add_row(mode or "(none given)", str(n))
    console.print(table)
    console.print("events: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))


@app.command()
def train(
    data: Path = typer.Argument(..., help="Directory with telemetry and events files"),
    registry: Path = typer.Option(Path("var/models"), help="Model registry directory"),
    horizon_h: float = typer.Option(48.0, help="Warning horizon in hours"),
    donor: Path | None = typer.Option(None, help=DONOR_HELP),
) -> None:
    """Train the failure-warning models, measure them, and store a new registry version."""
    import time

    from models.evaluate import Protocol, ShortHistory
    from models.registry import save
    from models.retrain import donor_meta, starter_meta, training_meta
    from models.train import start_from_donor
    from models.train import train as fit

    ds = load_or_exit(data)
    began = time.monotonic()
    n = len(ds.assets)
    bar, step = progress_bar(2 * n + 8)
    given = donor_model(donor)
    try:
        with bar:
            fleet, ev = fit(ds, Protocol(horizon_h=horizon_h), progress=step, donor=given)
        meta = training_meta(data, ds, fleet, ev)
    except ShortHistory as exc:
        if given is None:
            Console(stderr=True, soft_wrap=True).print(
                f"[red]{data}[/red]: {exc}; give --donor to start from a model trained elsewhere"
            )
            raise typer.Exit(2) from exc
        fleet, ev = start_from_donor(ds, given), None
        meta = starter_meta(data, ds, fleet, exc.days, exc.need_days)
        console.print(f"{data}: {exc}: the donor scores every class it can until then")
    if donor is not None:
        meta |= donor_meta(donor, fleet)
        print_caution(meta)
    version = save(registry, fleet, meta)
    if ev is not None:
        report.findings(console, ev)
        report.tables(console, ev)
    for cls, m in sorted(fleet.classes.items()):
        console.print(f"{cls}: {m.scored_by}")
    console.print(
        f"model {version} stored in {registry} ({time.monotonic() - began:.0f} s); "
        f"warning threshold {fleet.threshold:.3f}, "
        f"{_gate(fleet.ttf_gate())}, "
        f"opening after {fleet.consecutive} high hourly evaluation(s) in a row"
    )


@app.command()
def retrain(
    data: Path = typer.Argument(..., help="Directory with telemetry and events files"),
    registry: Path = typer.Option(Path("var/models"), help="Model registry directory"),
    horizon_h: float = typer.Option(48.0, help="Warning horizon in hours"),
    as_json: bool = typer.Option(False, "--json", help="Print the decision as JSON"),
    donor: Path | None = typer.Option(
        None, help=DONOR_HELP + " (default: the donor of the model in service, if any)"
    ),
) -> None:
    """Train a challenger, measure it and the model in service on the same splits, and put
    it in service only when it is better (both are kept in the registry with the reason)."""
    from models.evaluate import Protocol
    from models.retrain import retrain as run_round

    ds = load_or_exit(data)
    bar, step = progress_bar(3 * len(ds.assets) + 8)
    with bar:
        version, decision = run_round(
            ds, data, registry, Protocol(horizon_h=horizon_h), progress=step, donor_dir=donor
        )
    if as_json:
        body = {"version": version, "promoted": decision.promote, "reason": decision.reason}
        print(
            json.dumps(body | {"challenger": decision.challenger, "incumbent": decision.incumbent})
        )
        return
    table = Table("split", "model", "recall (p ≥ 6 h)", "precision", "FA/asset-month", "lead p50 h")
    for split, row in decision.challenger.items():
        for who, figures in (("challenger", row), ("in service", decision.incumbent.get(split))):
            if figures is None:
                continue
            table.add_row(
                split,
                who,
                *(
                    str(figures[k])
                    for k in (
                        "recall_precursor_6h",
                        "precision",
                        "false_alarms_per_asset_month",
                        "lead_p50_h",
                    )
                ),
            )
    console.print(table)
    verb = "put in service" if decision.promote else "stored, not in service"
    console.print(f"challenger {version} {verb}: {escape(decision.reason)}")


def _gate(hours: float | None) -> str:
    """The time-to-failure gate in words."""
    if hours is None:
        return "warnings open on the probability alone"
    return f"warnings wait until failure is expected within {hours:.0f} h"


@app.command()
def evaluate(
    data: Path = typer.Argument(..., help="Directory with telemetry and events files"),
    plots: Path | None = typer.Option(None, help="Write PNG pictures of the evaluation here"),
    json_out: bool = typer.Option(False, "--json", help="Print the tables as JSON"),
    horizon_h: float = typer.Option(48.0, help="Warning horizon in hours"),
    sweep_out: bool = typer.Option(
        False, "--sweep", help="Also measure every time-to-failure gate and threshold"
    ),
    donor: Path | None = typer.Option(None, help=DONOR_HELP),
) -> None:
    """Run the evaluation protocol: model against baselines on time and asset splits."""
    import json

    from models.asset_frames import build_frames
    from models.compare import baseline_points, same_false_alarms, same_recall
    from models.evaluate import Protocol, run_protocol
    from models.lead_losses import lead_losses
    from models.provenance import computed_with
    from models.retrain import donor_meta
    from models.windows import Windows

    ds = load_or_exit(data)
    frames = build_frames(ds)
    bar, step = progress_bar(len(ds.assets) + 4)
    with bar:
        ev = run_protocol(
            ds, Protocol(horizon_h=horizon_h), Windows(), step, frames, donor_model(donor)
        )
    points = baseline_points(ev)
    same, at_recall = same_false_alarms(ev, points), same_recall(ev, points)
    about_donor = donor_meta(donor, ev.fleet) if donor is not None else {}
    print_caution(about_donor)
    if json_out:
        body: dict[str, Any] = {
            "thresholds": ev.thresholds,
            "ttf_gate_h": ev.fleet.ttf_gate(),
            "consecutive": ev.fleet.consecutive,
            "ttf_margin_h": list(ev.fleet.ttf_margin_h),
            "ttf_margin_rel": list(ev.fleet.ttf_margin_rel),
            "splits": ev.table,
            "ttf_interval": ev.ttf_table,
            "lead_losses": {s: lead_losses(ev, s).as_dict() for s in ev.periods},
            "data_findings": [str(f) for f in ev.findings],
            "same_false_alarms": same,
            "same_recall": at_recall,
            "scored_by": {c: m.scored_by for c, m in sorted(ev.fleet.classes.items())},
            "operating_point": ev.operating_point,
            "computed_with": computed_with(),
        }
        body |= about_donor
        if sweep_out:
            from models.sweep import longest_lead, sweep

            rows = sweep(ev)
            body |= {"sweep": rows, "longest_lead": longest_lead(rows)}
        print(json.dumps(body, indent=2))
    else:
        report.findings(console, ev)
        report.tables(console, ev)
        for split, row in same.items():
            console.print(
                f"{split}: at {row['false_alarms_per_asset_month']:.3f} false alarms per "
                f"asset-month, recall model {row['model']:.3f}, isolation forest "
                f"{row['isolation_forest']:.3f}, static thresholds {row['static_threshold']:.3f}"
            )
            console.print(f"{split}: {_at_recall(at_recall[split])}")
        for cls, m in sorted(ev.fleet.classes.items()):
            console.print(f"{cls}: {m.scored_by}")
        console.print(
            f"warning threshold {ev.fleet.threshold:.3f} ({ev.operating_point}); "
            f"{_gate(ev.fleet.ttf_gate())}"
        )
        if sweep_out:
            report.sweep_table(console, ev)
    if plots is not None:
        from models.plots import render

        note = Console(stderr=True) if json_out else console  # keep stdout one JSON object
        for path in render(ev, frames, plots):
            note.print(f"wrote {path}")


def _at_recall(row: dict[str, Any]) -> str:
    """One line: the baselines' best precision at no less recall than the model's."""
    model = row["model"]
    parts = [
        f"at recall {model[row['recall']]:.3f}, precision model {model['precision'] or 0.0:.3f}"
    ]
    for name, label in (
        ("isolation_forest", "isolation forest"),
        ("static_threshold", "static thresholds"),
    ):
        p = row[name]["precision"]
        parts.append(f"{label} {p:.3f}" if p is not None else f"{label} never reaches it")
    return ", ".join(parts)


app.command("convert-cmapss")(convert_cmapss)
app.command()(cmapss)
app.command()(replay)
app.command()(versions)
