"""`plantwatch sim`: run the simulator live, export datasets, check a fleet config."""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kernel.catalogue import active_catalogue
from kernel.yaml_config import ConfigError
from simulators.config import FleetConfig, load_fleet_config, synthetic_fleet
from simulators.engine import Simulation
from simulators.export import export, parse_interval
from simulators.live import LiveSimulator

app = typer.Typer(
    help="Equipment simulator: live Modbus + MQTT, offline datasets.", no_args_is_help=True
)
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def load_or_exit(path: Path) -> FleetConfig:
    """Load a fleet config or print where it is wrong and exit 2."""
    try:
        return load_fleet_config(path)
    except ConfigError as exc:
        err.print("[red]invalid simulator config[/red]")
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(2) from exc


CLASSES_HELP = (
    "Classes of a generated fleet: comma-separated, 'all' (the catalogue), default the mix"
)


def _classes(spec: str | None) -> tuple[str, ...] | None:
    if spec is None:
        return None
    known = active_catalogue().names()
    names = known if spec == "all" else tuple(c.strip() for c in spec.split(",") if c.strip())
    unknown = [c for c in names if c not in known]
    if unknown or not names:
        raise typer.BadParameter(
            f"unknown class {', '.join(unknown) or '(none)'}; known: {', '.join(known)}",
            param_hint="--classes",
        )
    return names


def fleet_of(
    config: Path | None,
    assets: int,
    seed: int,
    start: datetime | None = None,
    classes: str | None = None,
) -> FleetConfig:
    """The configured fleet with this seed, or a generated one of ``assets`` assets."""
    if config is not None:
        return load_or_exit(config).model_copy(update={"seed": seed})
    when = start.replace(tzinfo=UTC) if start else None
    return synthetic_fleet(assets, seed, when, _classes(classes))


@app.command()
def check(
    config: Path = typer.Argument(..., help="Fleet config YAML"),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON"),
) -> None:
    """Validate a fleet config and summarise the fleet it describes."""
    cfg = load_or_exit(config)
    sim = Simulation(cfg)
    counts = Counter(a.asset_class for a in sim.assets)
    if as_json:
        summary = {
            "config": str(config),
            "ok": True,
            "assets": len(sim.assets),
            "classes": dict(sorted(counts.items())),
            "sites": sorted({a.site.id for a in sim.assets}),
        }
        print(json.dumps(summary, indent=2))
        return
    console.print(
        f"{config}: ok, {len(sim.assets)} assets "
        + ", ".join(f"{n} {c}" for c, n in sorted(counts.items()))
    )


@app.command("export")
def export_cmd(
    out: Path = typer.Option(..., "--out", help="Output directory"),
    assets: int = typer.Option(20, "--assets", min=1, help="Assets in a generated fleet"),
    days: float = typer.Option(30.0, "--days", min=0.01, help="Days to simulate"),
    interval: str = typer.Option("10m", "--interval", help="Sample interval: 30s, 10m, 1h"),
    seed: int = typer.Option(0, "--seed", min=0),
    config: Path | None = typer.Option(None, "--config", help="Fleet config instead of --assets"),
    start: datetime | None = typer.Option(None, "--start", help="UTC start, default 2025-01-01"),
    classes: str | None = typer.Option(None, "--classes", help=CLASSES_HELP),
) -> None:
    """Write telemetry and event-log Parquet files for a fleet over a span of days."""
    try:
        step = parse_interval(interval)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--interval") from exc
    sim = Simulation(fleet_of(config, assets, seed, start, classes), horizon_days=days)
    began = time.perf_counter()
    with Progress(
        TextColumn("exporting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("assets", total=len(sim.assets))
        result = export(sim, out, step, on_asset=lambda: progress.advance(task))
    elapsed = time.perf_counter() - began
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    console.print(
        f"{result.rows:,} readings of {len(sim.assets)} assets and "
        f"{result.event_rows:,} events in {elapsed:.1f} s (peak RSS {peak_mb:.0f} MB)"
    )
    console.print(f"  {result.telemetry}\n  {result.events}\n  {result.assets}")


@app.command("lead-bound")
def lead_bound_cmd(
    assets: int = typer.Option(200, "--assets", min=1, help="Assets in a generated fleet"),
    days: float = typer.Option(365.0, "--days", min=1.0, help="Days to simulate"),
    seed: int = typer.Option(0, "--seed", min=0),
    config: Path | None = typer.Option(None, "--config", help="Fleet config instead of --assets"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table"),
) -> None:
    """The lead an ideal detector gets on a fleet's failures (an upper bound for any model)."""
    from simulators.lead_bound import VISIBILITIES, best_bounds, precursors

    sim = Simulation(fleet_of(config, assets, seed), horizon_days=days)
    items = precursors(sim)
    rows = best_bounds(items, VISIBILITIES)
    if as_json:
        out = {"failures_with_precursor": len(items), "bounds": [b.as_dict() for b in rows]}
        print(json.dumps(out))
        return
    table = Table(title=f"ideal detector on {len(items)} failures with a precursor")
    for col in ("visible from", "threshold", "precision", "recall p>=6h", "lead p10/p50/p90 h"):
        table.add_column(col)
    for b in rows:
        table.add_row(
            f"{b.visible:.2f}",
            f"{b.threshold:.1f}",
            f"{b.precision:.3f}",
            f"{b.recall_precursor_6h:.3f}",
            f"{b.lead_p10_h:.1f} / {b.lead_p50_h:.1f} / {b.lead_p90_h:.1f}",
        )
    console.print(table)
    console.print(
        "visible from: degradation at which the detector first sees the fault "
        "(1 = the strongest failure's final size); it then knows the curve exactly"
    )


def endpoints_table(live: LiveSimulator) -> Table:
    """Where each asset can be read."""
    table = Table(title="simulated devices")
    for col in ("asset", "class", "modbus", "unit", "profile"):
        table.add_column(col)
    for d in live.wiring.devices:
        port = live.ports[d.port_index] if live.ports else "-"
        table.add_row(
            d.asset.id,
            d.asset.asset_class,
            f"{live.live.modbus.host}:{port}",
            str(d.unit_id),
            d.profile.model,
        )
    return table


@app.command()
def run(
    config: Path = typer.Option(..., "--config", help="Fleet config YAML"),
    speed: float | None = typer.Option(None, "--speed", help="Simulated seconds per wall second"),
    duration: float | None = typer.Option(None, "--duration", help="Stop after this many seconds"),
) -> None:
    """Serve the fleet live over Modbus TCP and MQTT until Ctrl-C."""
    cfg = load_or_exit(config)
    if speed is not None:
        cfg = cfg.model_copy(update={"live": cfg.live.model_copy(update={"speed": speed})})

    async def main() -> None:
        sim = Simulation(cfg)
        async with LiveSimulator(sim, cfg.live) as live:
            console.print(endpoints_table(live))
            mqtt = cfg.live.mqtt
            console.print(f"MQTT: {mqtt.host}:{mqtt.port}" if mqtt.enabled else "MQTT: off")
            await live.run(duration)
            console.print(
                f"served {live.stats.requests} Modbus requests, "
                f"published {live.mqtt.published if live.mqtt else 0} MQTT messages"
            )

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
