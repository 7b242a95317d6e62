"""`plantwatch gateway`: run the daemon, check a config, probe a device, publish the schema."""

from __future__ import annotations

import asyncio
import functools
import gc
import json
import logging
import struct
import sys
from pathlib import Path
from typing import TYPE_CHECKING

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

    return Console()


def _load(path: Path) -> LoadedConfig:
    try:
        return load_config(path)
    except ConfigError as exc:
        _out().print(f"[red]invalid gateway config[/red]\n{exc}")
        raise typer.Exit(2) from exc


@app.command()
def check(config: Path = typer.Argument(..., help="Gateway config YAML")) -> None:
    """Validate a config and print the poll plan: the requests made per cycle."""
    cfg = _load(config)
    gw = cfg.gateway
    total_requests = 0.0
    for link in gw.links:
        where = f"{link.host}:{link.port}" if link.kind == "tcp" else link.port
        _out().print(f"[bold]link {link.name}[/bold] ({link.kind} {where})")
        for dev in link.devices:
            reqs = plan_requests(
                cfg.profiles[dev.profile],
                dev.max_registers_per_read,
                dev.gap_fill,
                dev.one_request_per_point,
            )
            total_requests += len(reqs) / dev.interval_s
            _out().print(
                f"  unit {dev.unit_id} {dev.asset} ({dev.profile}) every "
                f"{dev.interval_s:g} s: {len(reqs)} requests"
            )
            for r in reqs:
                _out().print(f"    {r.describe()}")
    for src in gw.mqtt:
        _out().print(f"[bold]mqtt {src.name}[/bold] ({src.host}:{src.port})")
        for sub in src.subscriptions:
            _out().print(f"  {sub.topic} qos {sub.qos} {sub.format}")
    manifest = build_manifest(cfg)
    n_signals = sum(len(a.signals) for a in manifest.assets)
    _out().print(
        f"{config}: ok; {len(manifest.assets)} assets, {n_signals} signals, "
        f"{total_requests:.2f} Modbus requests/s; stages: {', '.join(gw.stages)}"
    )


@app.command()
def run(
    config: Path = typer.Argument(..., help="Gateway config YAML"),
    log_level: str = typer.Option("INFO", "--log-level"),
) -> None:
    """Run the gateway until SIGTERM (flushes, exit 0); SIGHUP reloads the config."""
    # httpx imports its command-line client (click, rich, pygments) when they are installed;
    # the daemon never uses it, and on a small box those few MB are worth keeping.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    from edge.daemon import Gateway

    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    cfg = _load(config)
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
