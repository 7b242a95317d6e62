"""Modbus RTU: the gateway's serial poller against simulated devices on a pty pair (socat)."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pymodbus.server import ModbusSerialServer

from edge.acquire.modbus_poller import ModbusLink
from edge.config import DeviceConfig, RtuLink
from edge.metrics import EdgeMetrics
from kernel.contract import Reading
from simulators.deployment import wire
from simulators.engine import Simulation
from simulators.modbus_server import DeviceImage, ServerStats
from tests.integration.gateway_stack import campus, expected_value
from tests.servers import require

pytestmark = pytest.mark.integration


class _Live:
    """Just enough of LiveSimulator for expected_value()."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.wiring = wire(sim.assets, 8)


@pytest.fixture
def pty_pair(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """Two linked pseudo-terminals: a serial line on loopback."""
    a, b = tmp_path / "server-tty", tmp_path / "gateway-tty"
    socat = subprocess.Popen(
        [require("socat", "socat"), f"pty,raw,echo=0,link={a}", f"pty,raw,echo=0,link={b}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            if a.exists() and b.exists():
                break
            time.sleep(0.05)
        yield a, b
    finally:
        socat.terminate()
        socat.wait(10)


async def test_rtu_link_reads_the_same_values_as_tcp(pty_pair: tuple[Path, Path]) -> None:
    a, b = pty_pair
    sim = Simulation(campus())
    live = _Live(sim)
    t = sim.start + 12 * 86400
    devices = [d for d in live.wiring.devices][:3]  # three units on one RS-485 line
    images = [DeviceImage(d) for d in devices]
    for img in images:
        values = sim.readings(img.device.asset, np.array([t], dtype=np.int64))
        img.update({k: float(v[0]) for k, v in values.items()}, t)
    stats = ServerStats()
    server = ModbusSerialServer(
        [img.sim_device(stats) for img in images], port=str(a), baudrate=38400, parity="N"
    )
    serve = asyncio.create_task(server.serve_forever())
    await asyncio.sleep(0.5)
    got: list[Reading] = []
    # A pty carries no parity bit; real RS-485 lines usually run 8E1.
    link = RtuLink(
        name="rs485",
        kind="rtu",
        port=str(b),
        baudrate=38400,
        parity="N",
        timeout_s=0.5,
        devices=[
            DeviceConfig(
                asset=d.asset.id,
                profile=d.profile.model,
                unit_id=d.unit_id,
                interval_s=0.2,
                clock_point="device_clock",
            )
            for d in devices
        ],
    )
    poller = ModbusLink(
        link, {d.profile.model: d.profile for d in devices}, got.extend, EdgeMetrics()
    )
    task = asyncio.create_task(poller.run())
    for _ in range(100):
        if all(d.polls >= 2 for d in poller.devices):
            break
        await asyncio.sleep(0.1)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await server.shutdown()
    serve.cancel()
    assert all(d.polls >= 2 for d in poller.devices), "every unit answered over RTU"
    checked = 0
    for r in got:
        if r.signal == "device_online":
            continue
        assert r.ts_ms == t * 1000
        want = expected_value(live, r.asset, r.signal, t)  # type: ignore[arg-type]
        assert r.value == (pytest.approx(want, rel=1e-6, abs=1e-4) if want is not None else None)
        checked += 1
    assert checked > 20
