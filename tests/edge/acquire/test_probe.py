"""`plantwatch gateway probe` against a live simulated chiller (floats in CDAB order)."""

from __future__ import annotations

import asyncio
import threading

import pytest
from typer.testing import CliRunner

from edge.cli_commission import decodings
from kernel.register_codec import encode
from plantwatch.cli import app
from simulators.clock import SimClock
from simulators.config import LiveConfig, MqttLive
from simulators.engine import Simulation
from simulators.live import LiveSimulator
from tests.integration.gateway_stack import campus

pytestmark = pytest.mark.integration


def test_decodings_show_every_word_order() -> None:
    from kernel.profiles import DataType, Point, WordOrder

    p = Point(name="x", table="holding", address=0, type=DataType.FLOAT32)  # type: ignore[arg-type]
    regs = encode(p, 21.5, WordOrder.CDAB)
    found = {(t, o): v for t, o, v in decodings(regs)}
    assert found[("float32", "CDAB")] == "21.5"
    assert found[("float32", "ABCD")] != "21.5"


def test_probe_prints_the_plausible_decoding() -> None:
    fleet = campus()
    sim = Simulation(fleet)
    cfg = LiveConfig(
        start=fleet.start,
        modbus={"base_port": 0},  # type: ignore[arg-type]
        mqtt=MqttLive(enabled=False),
    )
    ready, done = threading.Event(), threading.Event()
    ports: list[int] = []

    async def serve() -> None:
        async with LiveSimulator(
            sim, cfg, clock=SimClock(start=fleet.start.timestamp() + 3600, frozen=True)
        ) as live:
            ports.extend(live.ports)
            ready.set()
            await asyncio.to_thread(done.wait, 60)

    thread = threading.Thread(target=lambda: asyncio.run(serve()))
    thread.start()
    try:
        assert ready.wait(20)
        # Unit 1 on the first server is the first hvac asset: suction pressure at input 0.
        r = CliRunner().invoke(
            app,
            [
                "gateway",
                "probe",
                "--port",
                str(ports[0]),
                "--unit",
                "1",
                "--table",
                "input",
                "--address",
                "0",
                "--count",
                "4",
            ],
        )
    finally:
        done.set()
        thread.join(20)
    assert r.exit_code == 0, r.output
    assert "float32" in r.output and "CDAB" in r.output
