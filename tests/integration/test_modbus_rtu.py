"""Modbus RTU: the gateway's serial poller against simulated devices on a pty pair (socat)."""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymodbus.server import ModbusSerialServer
from typer.testing import CliRunner

from edge.acquire.modbus_poller import ModbusLink
from edge.metrics import EdgeMetrics
from edge.modbus_config import RtuLink
from kernel.contract import Reading
from plantwatch.cli import app
from simulators.deployment import wire
from simulators.engine import Simulation
from simulators.modbus_server import ServerStats
from tests.integration.gateway_stack import campus, clocked_config, expected_value, image_at
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
    images = [image_at(sim, d, t) for d in devices]
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
        devices=[clocked_config(d) for d in devices],
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
    # The images hold one sample: polled again and again, each unit reports it once.
    keys = [(r.asset, r.signal) for r in got]
    assert len(keys) == len(set(keys))
    for d in poller.devices:
        assert poller.metrics.repeated.labels(d.cfg.asset)._value.get() == d.polls - 1
    checked = 0
    for r in got:
        if r.signal == "device_online":
            continue
        assert r.ts_ms == t * 1000
        want = expected_value(live, r.asset, r.signal, t)  # type: ignore[arg-type]
        assert r.value == (pytest.approx(want, rel=1e-6, abs=1e-4) if want is not None else None)
        checked += 1
    assert checked > 20


def test_probe_and_discover_over_a_serial_line(pty_pair: tuple[Path, Path]) -> None:
    a, b = pty_pair
    sim = Simulation(campus())
    live = _Live(sim)
    t = sim.start + 12 * 86400
    devices = [d for d in live.wiring.devices][:3]  # units 1, 2 and 3 on one line
    images = [image_at(sim, d, t) for d in devices]
    ready, done = threading.Event(), threading.Event()

    async def serve() -> None:
        # A unit id nobody has must get no answer, as on a real line: the simulator's server
        # would answer it with an exception, so its frames are dropped on arrival.
        units = {bytes([img.device.unit_id]) for img in images}
        server = ModbusSerialServer(
            [img.sim_device(ServerStats()) for img in images],
            port=str(a),
            baudrate=38400,
            parity="N",
            trace_packet=lambda sending, data: data if sending or data[:1] in units else b"",
        )
        task = asyncio.create_task(server.serve_forever())
        await asyncio.sleep(0.5)
        ready.set()
        await asyncio.to_thread(done.wait, 60)
        await server.shutdown()
        task.cancel()

    thread = threading.Thread(target=lambda: asyncio.run(serve()))
    thread.start()
    try:
        assert ready.wait(20)
        serial = ["--serial", str(b), "--baud", "38400", "--parity", "N"]
        r = CliRunner().invoke(
            app,
            ["gateway", "probe", *serial, "--unit", "2", "--table", "input", "--count", "2"],
        )
        assert r.exit_code == 0, r.output
        regs = images[1].tables["i"][:2]
        assert f"{regs[0]:5d} (0x{regs[0]:04X})" in r.output
        r = CliRunner().invoke(
            app,
            ["gateway", "discover", "modbus-rtu", *serial, "--units", "1-6", "--timeout", "0.2"],
        )
        assert r.exit_code == 0, r.output
        assert [
            line.split(":")[0] for line in r.output.splitlines() if line.startswith("unit")
        ] == [
            "unit   1",
            "unit   2",
            "unit   3",
        ]
        assert "3 of 6 unit ids answered" in r.output
        r = CliRunner().invoke(
            app, ["gateway", "probe", *serial, "--unit", "9", "--timeout", "0.3"]
        )
        assert r.exit_code == 1 and "unit 9" in r.output and "no answer" in r.output
    finally:
        done.set()
        thread.join(30)
