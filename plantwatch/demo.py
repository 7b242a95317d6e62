"""`plantwatch demo`: the whole system on one machine, on embedded defaults."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from pathlib import Path

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from simulators.config import load_fleet_config
from simulators.engine import Simulation
from simulators.live import LiveSimulator
from simulators.mqtt_sensors import iso

DEMO_FLEET = Path(__file__).resolve().parent.parent / "simulators" / "fleets" / "campus.yaml"
console = Console()


def _broker_up(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def _view(live: LiveSimulator) -> Group:
    table = Table(title=f"simulated time {iso(live.sim_time)}")
    table.add_column("asset")
    table.add_column("modbus")
    table.add_column("readings")
    for d in live.wiring.devices:
        readings = live.last_readings[d.asset.id]
        shown = ", ".join(f"{k}={v:.1f}" for k, v in list(readings.items())[:4])
        table.add_row(d.asset.id, f"127.0.0.1:{live.ports[d.port_index]}/{d.unit_id}", shown)
    mqtt = live.mqtt.published if live.mqtt else 0
    return Group(table, f"Modbus requests served: {live.stats.requests}   MQTT messages: {mqtt}")


def demo(
    duration: float | None = typer.Option(None, "--duration", help="Stop after this many seconds"),
    speed: float = typer.Option(600.0, "--speed", help="Simulated seconds per wall second"),
) -> None:
    """Run plantwatch end to end on this machine (for now: the live equipment simulator)."""
    cfg = load_fleet_config(DEMO_FLEET)
    mqtt_up = _broker_up(cfg.live.mqtt.host, cfg.live.mqtt.port)
    live_cfg = cfg.live.model_copy(
        update={
            "speed": speed,
            "start": cfg.start,
            "modbus": cfg.live.modbus.model_copy(update={"base_port": 0}),
            "mqtt": cfg.live.mqtt.model_copy(update={"enabled": mqtt_up}),
        }
    )
    if not mqtt_up:
        console.print("no MQTT broker on 127.0.0.1:1883: serving Modbus only")

    async def main() -> None:
        async with LiveSimulator(Simulation(cfg), live_cfg) as live:
            stop_at = None if duration is None else time.monotonic() + duration
            with Live(_view(live), console=console, refresh_per_second=2) as screen:
                while stop_at is None or time.monotonic() < stop_at:
                    live.step(int(live.clock.now()))
                    screen.update(_view(live))
                    await asyncio.sleep(live_cfg.tick_s)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
    console.print("\ndemo stopped")
