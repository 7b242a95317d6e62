"""Commissioning: find what answers on a bus or a BACnet network, and write a config skeleton.

Used by `plantwatch gateway probe` and `plantwatch gateway discover`; the same bacpypes3 and
pymodbus clients the daemon uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bacpypes3.apdu import ErrorRejectAbortNack
from bacpypes3.pdu import Address
from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException

from edge.acquire import bacnet_client
from edge.bacnet_config import BacnetPort
from kernel.bacnet_profiles import BACNET_UNITS, ObjectType

CATALOGUE_UNIT = {bacnet: unit for unit, bacnet in BACNET_UNITS.items()}
READABLE = {t.value for t in ObjectType}


def serial_client(
    port: str, baudrate: int, parity: str, stopbits: int, bytesize: int, timeout_s: float
) -> AsyncModbusSerialClient:
    """A Modbus RTU client on a serial port (RS-485 adapter)."""
    return AsyncModbusSerialClient(
        port,
        baudrate=baudrate,
        parity=parity,
        stopbits=stopbits,
        bytesize=bytesize,
        timeout=timeout_s,
        retries=0,
        reconnect_delay=0,
    )


async def read_registers(
    client: AsyncModbusTcpClient | AsyncModbusSerialClient,
    unit: int,
    table: str,
    address: int,
    count: int,
) -> list[int] | str:
    """Registers of one unit, or why not (no answer, or the exception the device sent)."""
    fn = client.read_input_registers if table == "input" else client.read_holding_registers
    try:
        rsp = await fn(address, count=count, device_id=unit)
    except (TimeoutError, ModbusException, OSError) as exc:
        return f"no answer ({type(exc).__name__})"
    if rsp.isError():
        return f"answered with exception {getattr(rsp, 'exception_code', '?')}"
    return list(rsp.registers)


async def scan_units(
    client: AsyncModbusSerialClient, units: range, table: str, address: int, count: int
) -> list[tuple[int, list[int] | str]]:
    """Every unit id in ``units`` that answers, with its registers (or its exception): a
    unit that answers with an exception is there all the same."""
    found = []
    for unit in units:
        got = await read_registers(client, unit, table, address, count)
        if not (isinstance(got, str) and got.startswith("no answer")):
            found.append((unit, got))
    return found


@dataclass
class FoundObject:
    """One object of a discovered device."""

    object: str  # type:instance
    name: str
    value: Any
    units: str | None


@dataclass
class FoundDevice:
    """A device that answered Who-Is, with its name and readable objects."""

    instance: int
    address: str
    name: str
    vendor_id: int
    objects: list[FoundObject] = field(default_factory=list)


def slug(text: str) -> str:
    """A config identifier from a BACnet name (lower case, letters, digits, - and _)."""
    out = re.sub(r"[^a-z0-9_-]+", "_", text.strip().lower()).strip("_-")
    return out[:64] or "unnamed"


async def discover_bacnet(
    net: BacnetPort, low: int, high: int, target: str | None
) -> list[FoundDevice]:
    """Who-Is on the network (or at ``target``), then each device's object list, names,
    units and present values (ReadPropertyMultiple, one object at a time)."""
    app = bacnet_client.build_application(net)
    try:
        found = await bacnet_client.who_is(app, low, high, target, net.discover_timeout_s)
        devices = []
        for f in found:
            addr = Address(f.address)
            name = await _read(app, addr, f"device,{f.instance}", "object-name")
            dev = FoundDevice(f.instance, f.address, str(name or ""), f.vendor_id)
            object_list = await _read(app, addr, f"device,{f.instance}", "object-list") or []
            for oid in object_list:
                kind, instance = str(oid[0]), int(oid[1])
                if kind not in READABLE:
                    continue
                props = ["object-name", "present-value"]
                if kind.startswith("analog"):
                    props.append("units")
                rows = await app.read_property_multiple(addr, [oid, props])
                got = {str(p): v for _, p, _, v in rows or ()}
                units = got.get("units")
                dev.objects.append(
                    FoundObject(
                        f"{kind}:{instance}",
                        str(got.get("object-name", "")),
                        got.get("present-value"),
                        None if units is None else str(units),
                    )
                )
            devices.append(dev)
        return devices
    finally:
        await bacnet_client.close(app)


async def _read(app: Any, addr: Address, objid: str, prop: str) -> Any:
    try:
        return await app.read_property(addr, objid, prop)
    except ErrorRejectAbortNack:
        return None


def skeleton(
    devices: list[FoundDevice], net: BacnetPort
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A ``bacnet:`` config section for the devices, and a profile per device (by model
    name): signals named after the objects, units mapped to the catalogue's."""
    profiles: dict[str, dict[str, Any]] = {}
    entries = []
    for dev in devices:
        model = slug(f"{dev.name or 'device'}-{dev.instance}")
        objects = []
        seen: set[str] = set()
        for obj in dev.objects:
            name = slug(obj.name or obj.object.replace(":", "_"))
            while name in seen:
                name += "_"
            seen.add(name)
            entry: dict[str, Any] = {"name": name, "object": obj.object, "signal": name}
            if obj.units is not None:
                entry["unit"] = CATALOGUE_UNIT.get(obj.units, "")
                if obj.units not in CATALOGUE_UNIT:
                    entry["description"] = f"device unit {obj.units}: no catalogue unit"
            objects.append(entry)
        profiles[model] = {
            "protocol": "bacnet",
            "model": model,
            "manufacturer": f"vendor {dev.vendor_id}",
            "description": f"discovered: device {dev.instance} '{dev.name}' at {dev.address}",
            "objects": objects,
        }
        entries.append(
            {
                "asset": slug(dev.name or f"device-{dev.instance}"),
                "profile": model,
                "instance": dev.instance,
                "address": dev.address,
            }
        )
    section = {"name": "bacnet", **net.model_dump(mode="json", exclude_defaults=True)}
    section["devices"] = entries
    return section, profiles
