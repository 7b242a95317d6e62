"""`plantwatch gateway`: run the daemon, check a config, probe a device, publish the schema."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any, NoReturn

import typer

from edge.acquire.plan import plan_requests
from edge.config import GatewayConfig, LoadedConfig, load_config
from edge.console import console
from edge.manifest import build_manifest
from kernel.yaml_config import ConfigError

app = typer.Typer(
    help="Edge gateway: Modbus, BACnet and MQTT acquisition, stages, spool, uplink.",
    no_args_is_help=True,
)


class LogLevelName(StrEnum):
    """Log levels `gateway run --log-level` accepts."""

    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"
    CRITICAL = "CRITICAL"


def _load(path: Path) -> LoadedConfig:
    try:
        return load_config(path)
    except ConfigError as exc:
        _fail(f"invalid gateway config\n{exc}", 2)
    except OSError as exc:
        _fail(f"cannot read gateway config {path}: {exc.strerror}", 2)


def _config_problems(cfg: LoadedConfig, files: bool) -> None:
    from edge.preflight import require_files

    if files:
        try:
            require_files(cfg)
        except ConfigError as exc:
            _fail(f"gateway config cannot run\n{exc}", 2)


def _fail(message: str, code: int) -> NoReturn:
    print(message, file=sys.stderr)
    raise typer.Exit(code)


@app.command()
def check(
    config: Path = typer.Argument(..., help="Gateway config YAML"),
    files: bool = typer.Option(
        True,
        "--files/--skip-files",
        help="Also check the token, CA and spool files the config names (skip: before deploying)",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON"),
) -> None:
    """Validate a config (and the files it names) and print the poll plan per cycle."""
    from edge.preflight import loose_token_permissions

    cfg = _load(config)
    _config_problems(cfg, files)
    gw = cfg.gateway
    manifest = build_manifest(cfg)
    links: list[dict[str, Any]] = []
    total_requests = 0.0
    for link in gw.links:
        devices: list[dict[str, Any]] = []
        for dev in link.devices:
            reqs = plan_requests(
                cfg.profiles[dev.profile],
                dev.max_registers_per_read,
                dev.gap_fill,
                dev.one_request_per_point,
            )
            total_requests += len(reqs) / dev.interval_s
            devices.append(
                {
                    "unit": dev.unit_id,
                    "asset": dev.asset,
                    "profile": dev.profile,
                    "interval_s": dev.interval_s,
                    "requests": [r.describe() for r in reqs],
                }
            )
        where = f"{link.host}:{link.port}" if link.kind == "tcp" else str(link.port)
        links.append({"name": link.name, "kind": link.kind, "where": where, "devices": devices})
    mqtt: list[dict[str, Any]] = [
        {
            "name": src.name,
            "where": f"{src.host}:{src.port}",
            "subscriptions": [
                {"topic": s.topic, "qos": s.qos, "format": s.format} for s in src.subscriptions
            ],
        }
        for src in gw.mqtt
    ]
    warning = loose_token_permissions(cfg) if files else None
    summary = {
        "config": str(config),
        "ok": True,
        "assets": len(manifest.assets),
        "signals": sum(len(a.signals) for a in manifest.assets),
        "modbus_requests_per_s": round(total_requests, 3),
        "stages": list(gw.stages),
        "files_checked": files,
        "warnings": [warning] if warning else [],
        "links": links,
        "mqtt": mqtt,
    }
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    out = console()
    for link_plan in links:
        out.print(
            f"[bold]link {link_plan['name']}[/bold] ({link_plan['kind']} {link_plan['where']})"
        )
        for d in link_plan["devices"]:
            out.print(
                f"  unit {d['unit']} {d['asset']} ({d['profile']}) every "
                f"{d['interval_s']:g} s: {len(d['requests'])} requests"
            )
            for r in d["requests"]:
                out.print(f"    {r}")
    for src_plan in mqtt:
        out.print(f"[bold]mqtt {src_plan['name']}[/bold] ({src_plan['where']})")
        for sub in src_plan["subscriptions"]:
            out.print(f"  {sub['topic']} qos {sub['qos']} {sub['format']}")
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    out.print(
        f"{config}: ok; {summary['assets']} assets, {summary['signals']} signals, "
        f"{total_requests:.2f} Modbus requests/s; stages: {', '.join(gw.stages)}"
        + ("" if files else " (files not checked)")
    )


@app.command()
def run(
    config: Path = typer.Argument(..., help="Gateway config YAML"),
    log_level: LogLevelName | None = typer.Option(
        None, "--log-level", case_sensitive=False, help="Overrides the config's log_level"
    ),
) -> None:
    """Run the gateway until SIGTERM (flushes, exit 0); SIGHUP reloads the config."""
    # httpx imports its command-line client (click, rich, pygments) when they are installed;
    # the daemon never uses it, and on a small box those few MB are worth keeping.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    from edge.daemon import Gateway

    cfg = _load(config)
    _config_problems(cfg, files=True)
    level = log_level.value if log_level is not None else cfg.gateway.log_level
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if level != "DEBUG":
        # The links log each device's failures and state changes themselves; pymodbus would
        # add a hex dump of its last frames to every timeout.
        logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    # Everything loaded so far lives as long as the process: keep the collector off it.
    gc.collect()
    gc.freeze()
    asyncio.run(Gateway(cfg).run())


@app.command()
def schema() -> None:
    """Print the JSON Schema of gateway configs (for editors)."""
    print(json.dumps(GatewayConfig.model_json_schema(by_alias=True), indent=2))


# Commissioning commands (probe, discover) live in their own module.
from edge.cli_commission import discover_app, probe  # noqa: E402

app.command()(probe)
app.add_typer(discover_app, name="discover")
