"""`plantwatch gateway probe` and `plantwatch gateway discover`: commissioning a bus or a
BACnet network before writing its config."""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path

import typer
import yaml

from edge.console import console

discover_app = typer.Typer(
    help="Find the devices on a BACnet network or an RS-485 Modbus bus.", no_args_is_help=True
)


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


def _print_registers(regs: list[int]) -> None:
    from rich.table import Table as RichTable

    console().print("registers: " + " ".join(f"{r:5d} (0x{r:04X})" for r in regs))
    console().print(f"int16 {[r - 65536 if r > 32767 else r for r in regs]}  uint16 {regs}")
    out = RichTable("type", "ABCD", "CDAB", "BADC", "DCBA")
    rows: dict[str, dict[str, str]] = {}
    for type_name, order, value in decodings(regs):
        rows.setdefault(type_name, {})[order] = value
    for type_name, values in rows.items():
        out.add_row(type_name, *(values[o] for o in ("ABCD", "CDAB", "BADC", "DCBA")))
    console().print(out)


SERIAL = typer.Option(None, "--serial", help="Serial port (RS-485 adapter): Modbus RTU")
BAUD = typer.Option(19200, "--baud", help="RTU: baud rate")
PARITY = typer.Option("E", "--parity", help="RTU: N, E or O")
STOPBITS = typer.Option(1, "--stopbits", min=1, max=2, help="RTU: stop bits")


def probe(
    host: str = typer.Option("127.0.0.1", "--host", help="Modbus TCP host"),
    port: int = typer.Option(502, "--port", help="Modbus TCP port"),
    serial: str | None = SERIAL,
    baud: int = BAUD,
    parity: str = PARITY,
    stopbits: int = STOPBITS,
    unit: int = typer.Option(1, "--unit", min=0, max=247),
    table: str = typer.Option("holding", "--table", help="holding or input"),
    address: int = typer.Option(0, "--address"),
    count: int = typer.Option(4, "--count", min=1, max=125),
    timeout: float = typer.Option(2.0, "--timeout", help="Seconds to wait for the answer"),
) -> None:
    """Read registers from a device (TCP, or RTU with --serial) and print them with all four
    word-order decodings."""
    from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient

    from edge.commission import read_registers, serial_client

    async def read() -> list[int] | str:
        client: AsyncModbusTcpClient | AsyncModbusSerialClient
        if serial is not None:
            client = serial_client(serial, baud, parity.upper(), stopbits, 8, timeout)
            where = f"{serial} ({baud} baud, {parity.upper()}, {stopbits} stop bit(s))"
        else:
            client = AsyncModbusTcpClient(host, port=port, timeout=timeout, retries=1)
            where = f"{host}:{port}"
        await client.connect()
        if not client.connected:
            return f"cannot open {where}"
        try:
            got = await read_registers(client, unit, table, address, count)
        finally:
            client.close()
        return got if isinstance(got, list) else f"unit {unit} on {where}: {got}"

    regs = asyncio.run(read())
    if isinstance(regs, str):
        console().print(f"[red]{regs}[/red]")
        raise typer.Exit(1)
    _print_registers(regs)


def _units(text: str) -> range:
    lo, _, hi = text.partition("-")
    try:
        first, last = int(lo), int(hi or lo)
    except ValueError:
        raise typer.BadParameter(f"{text!r}: write a unit id or a range, e.g. 1-247") from None
    if not 0 <= first <= last <= 247:
        raise typer.BadParameter(f"{text!r}: unit ids lie in 0..247")
    return range(first, last + 1)


@discover_app.command("modbus-rtu")
def discover_modbus_rtu(
    serial: str = typer.Option(..., "--serial", help="Serial port (RS-485 adapter)"),
    baud: int = BAUD,
    parity: str = PARITY,
    stopbits: int = STOPBITS,
    units: str = typer.Option("1-247", "--units", help="Unit ids to try, e.g. 1-32"),
    table: str = typer.Option("holding", "--table", help="holding or input"),
    address: int = typer.Option(0, "--address"),
    count: int = typer.Option(1, "--count", min=1, max=125),
    timeout: float = typer.Option(0.2, "--timeout", help="Seconds to wait for each unit"),
) -> None:
    """Try each unit id on an RS-485 bus and list the units that answer."""
    from edge.commission import scan_units, serial_client

    wanted = _units(units)

    async def scan() -> list[tuple[int, list[int] | str]] | None:
        client = serial_client(serial, baud, parity.upper(), stopbits, 8, timeout)
        await client.connect()
        if not client.connected:
            return None
        try:
            return await scan_units(client, wanted, table, address, count)
        finally:
            client.close()

    found = asyncio.run(scan())
    if found is None:
        console().print(f"[red]cannot open {serial}[/red]")
        raise typer.Exit(1)
    for unit, got in found:
        shown = " ".join(str(r) for r in got) if isinstance(got, list) else got
        console().print(f"unit {unit:3d}: {shown}")
    console().print(f"{len(found)} of {len(wanted)} unit ids answered on {serial}")
    if not found:
        raise typer.Exit(1)


@discover_app.command("bacnet")
def discover_bacnet(
    local: str = typer.Option(
        ..., "--local", help="This machine's address, host/prefix:port (e.g. 10.1.2.3/24:47808)"
    ),
    bbmd: str | None = typer.Option(None, "--bbmd", help="Register with this BBMD first"),
    target: str | None = typer.Option(None, "--target", help="Ask only this address"),
    low: int = typer.Option(0, "--low", min=0, max=4194302, help="Lowest device instance"),
    high: int = typer.Option(4194302, "--high", min=0, max=4194302),
    instance: int = typer.Option(4194301, "--instance", help="This tool's device instance"),
    wait: float = typer.Option(3.0, "--wait", help="Seconds to wait for I-Am answers"),
    write: Path | None = typer.Option(
        None, "--write", help="Write bacnet.yaml and profiles/ (a config skeleton) here"
    ),
) -> None:
    """List the BACnet devices that answer Who-Is, with their objects' names, units and
    present values; optionally write a config skeleton."""
    from pydantic import ValidationError

    from edge.bacnet_config import BacnetPort
    from edge.commission import discover_bacnet as discover
    from edge.commission import skeleton

    try:
        net = BacnetPort.model_validate(
            {
                "local_address": local,
                "device_instance": instance,
                "discover_timeout_s": wait,
                **({"foreign": {"bbmd": bbmd}} if bbmd else {}),
            }
        )
    except ValidationError as exc:
        raise typer.BadParameter(str(exc)) from None

    async def go() -> list:  # type: ignore[type-arg]
        if bbmd:
            await asyncio.sleep(0.3)  # let the registration land before asking
        return await discover(net, low, high, target)

    devices = asyncio.run(go())
    for dev in devices:
        console().print(f"[bold]device {dev.instance}[/bold] {dev.name!r} at {dev.address}")
        for obj in dev.objects:
            units = f" {obj.units}" if obj.units else ""
            console().print(f"  {obj.object:24s} {obj.name:32s} {obj.value}{units}")
    console().print(f"{len(devices)} device(s) answered")
    if write is not None and devices:
        section, profiles = skeleton(devices, net)
        (write / "profiles").mkdir(parents=True, exist_ok=True)
        for model, doc in profiles.items():
            (write / "profiles" / f"{model}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
        (write / "bacnet.yaml").write_text(
            "# Paste under bacnet: in the gateway config; set each device's asset id.\n"
            + yaml.safe_dump([section], sort_keys=False)
        )
        console().print(f"wrote {write / 'bacnet.yaml'} and {len(profiles)} profile(s)")
    if not devices:
        raise typer.Exit(1)
