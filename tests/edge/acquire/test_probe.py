"""`plantwatch gateway probe` against a live simulated chiller (floats in CDAB order)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from edge.cli_commission import decodings
from kernel.register_codec import encode
from plantwatch.cli import app
from simulators.clock import SimClock
from simulators.config import LiveConfig, MqttLive
from simulators.engine import Simulation
from tests.integration.gateway_stack import campus, live_in_thread

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
    clock = SimClock(start=fleet.start.timestamp() + 3600, frozen=True)
    with live_in_thread(sim, cfg, clock) as live:
        # Unit 1 on the first server is the first hvac asset: suction pressure at input 0.
        r = CliRunner().invoke(
            app,
            ["gateway", "probe", "--port", str(live.ports[0]), "--unit", "1", "--table", "input",
             "--address", "0", "--count", "4"],
        )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "float32" in r.output and "CDAB" in r.output
