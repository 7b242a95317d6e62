"""`plantwatch gateway`: run the daemon, check a config, probe a device, publish the schema."""

from __future__ import annotations

import asyncio
import functools
import gc
import json
import logging
import struct
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

if TYPE_CHECKING:
    from rich.console import Console

from edge.acquire.plan import plan_requests
from edge.config import GatewayConfig, LoadedConfig, load_config
from edge.manifest import build_manifest
from kernel.yaml_config import ConfigError

app = typer.Typer(
    help="Edge gateway: Modbus + MQTT acquisition, stages, spool, uplink.", no_args_is_help=True
)


@functools.cache
def _out() -> Console:
    # rich loads only for the commands that print tables, not for the daemon.
    from rich.console import Console

    return Console(soft_wrap=True)


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
    out = _out()
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


def decodings(registers: list[int]) -> list[tuple[str, str, str]]:
    """Every common reading of the first 2 or 4 registers: type, word order, value."""
    out = []
    for n, types in (
        (2, (("float32", ">f"), ("int32", ">i"), ("uint32", ">I"))),
        (4, (("float64", ">d"), ("int64", ">q"))),
    ):
        if len(registers) < n:
            continue
        raw = b"".join(r.to_bytes(2, "big") for r in registers[:n])
        words = [raw[i : i + 2] for i in range(0, len(raw), 2)]
        orders = {
            "ABCD": raw,
            "CDAB": b"".join(reversed(words)),
            "BADC": b"".join(w[::-1] for w in words),
            "DCBA": raw[::-1],
        }
        for name, fmt in types:
            for order, data in orders.items():
                out.append((name, order, f"{struct.unpack(fmt, data)[0]:.6g}"))
    return out


@app.command()
def probe(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(502, "--port"),
    unit: int = typer.Option(1, "--unit"),
    table: str = typer.Option("holding", "--table", help="holding or input"),
    address: int = typer.Option(0, "--address"),
    count: int = typer.Option(4, "--count", min=1, max=125),
) -> None:
    """Read registers from a device and print them with all four word-order decodings."""
    from pymodbus.client import AsyncModbusTcpClient

    async def read() -> list[int]:
        client = AsyncModbusTcpClient(host, port=port, timeout=2, retries=1)
        await client.connect()
        if not client.connected:
            _out().print(f"[red]cannot connect to {host}:{port}[/red]")
            raise typer.Exit(1)
        fn = client.read_input_registers if table == "input" else client.read_holding_registers
        rsp = await fn(address, count=count, device_id=unit)
        client.close()
        if rsp.isError():
            _out().print(f"[red]device answered {rsp}[/red]")
            raise typer.Exit(1)
        return list(rsp.registers)

    regs = asyncio.run(read())
    _out().print("registers: " + " ".join(f"{r:5d} (0x{r:04X})" for r in regs))
    _out().print(f"int16 {[r - 65536 if r > 32767 else r for r in regs]}  uint16 {regs}")
    from rich.table import Table as RichTable

    out = RichTable("type", "ABCD", "CDAB", "BADC", "DCBA")
    rows: dict[str, dict[str, str]] = {}
    for type_name, order, value in decodings(regs):
        rows.setdefault(type_name, {})[order] = value
    for type_name, values in rows.items():
        out.add_row(type_name, *(values[o] for o in ("ABCD", "CDAB", "BADC", "DCBA")))
    _out().print(out)
