"""Serve the simulation live: Modbus TCP servers and MQTT sensors driven by a (fast) clock."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import numpy as np

from simulators.bacnet_server import BacnetImage, Behaviour, start_bbmd
from simulators.clock import SimClock
from simulators.config import LiveConfig
from simulators.deployment import Wiring, wire
from simulators.engine import Simulation
from simulators.fleet import Asset
from simulators.modbus_server import DeviceImage, ServerStats, build_server
from simulators.mqtt_sensors import MqttPublisher, json_message, plain_messages


def free_ports(count: int, host: str = "127.0.0.1", udp: bool = False) -> list[int]:
    """Ports nobody listens on right now (all bound at once, so they differ)."""
    socks = []
    kind = socket.SOCK_DGRAM if udp else socket.SOCK_STREAM
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, kind)
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


async def wait_listening(host: str, port: int, timeout_s: float = 10.0) -> None:
    """Return once a TCP server accepts connections on ``host:port``."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            _, writer = await asyncio.open_connection(host, port)
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"nothing listens on {host}:{port} after {timeout_s} s"
                ) from None
            await asyncio.sleep(0.05)
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return


@dataclass
class _Due:
    json_at: float
    plain_at: float


class LiveSimulator:
    """The fleet served live; use as an async context manager, then ``run`` or ``step``."""

    def __init__(
        self,
        sim: Simulation,
        live: LiveConfig,
        clock: SimClock | None = None,
        behaviours: Mapping[str, Behaviour] | None = None,
    ) -> None:
        self.sim = sim
        self.behaviours = dict(behaviours or {})  # per asset: how its BACnet device misbehaves
        self.live = live
        start = live.start.timestamp() if live.start is not None else time.time()
        if not sim.start <= start < sim.end:
            raise ValueError("the live start lies outside the simulated span (start, horizon_days)")
        self.clock = clock or SimClock(start=start, speed=live.speed)
        self.wiring: Wiring = wire(sim.assets, live.modbus.devices_per_server)
        self.images = [DeviceImage(d) for d in self.wiring.devices]
        self.bacnet: list[BacnetImage] = []
        self.bbmd: Any = None
        self.bbmd_address: str | None = None
        self.stats = ServerStats()
        self.ports: list[int] = []
        self.mqtt: MqttPublisher | None = None
        self.last_readings: dict[str, dict[str, float]] = {}
        self.sim_time = int(self.clock.now())
        self._servers: list[object] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._due = {a.id: _Due(0.0, 0.0) for a in sim.assets}

    async def __aenter__(self) -> LiveSimulator:
        self.step(int(self.clock.now()))
        m = self.live.modbus
        if m.enabled:
            n = self.wiring.servers
            self.ports = (
                free_ports(n, m.host) if m.base_port == 0 else [m.base_port + i for i in range(n)]
            )
            for i, port in enumerate(self.ports):
                images = [img for img in self.images if img.device.port_index == i]
                server = build_server(images, m.host, port, self.stats)
                self._servers.append(server)
                self._tasks.append(asyncio.create_task(server.serve_forever()))
            for port in self.ports:
                await wait_listening(m.host, port)
        if self.live.bacnet.enabled and self.wiring.bacnet:
            self._start_bacnet()
        if self.live.mqtt.enabled:
            q = self.live.mqtt
            self.mqtt = MqttPublisher(q.host, q.port, q.qos, client_id=f"plantwatch-sim-{id(self)}")
            self.mqtt.start()
        return self

    def _start_bacnet(self) -> None:
        b = self.live.bacnet
        n = len(self.wiring.bacnet) + 1
        ports = (
            free_ports(n, b.host, udp=True)
            if b.base_port == 0
            else [b.base_port + i for i in range(n)]
        )
        self.bbmd_address = f"{b.host}:{ports[0]}"
        self.bbmd = start_bbmd(self.bbmd_address)
        for dev, port in zip(self.wiring.bacnet, ports[1:], strict=True):
            image = BacnetImage(
                dev,
                f"{b.host}:{port}",
                self.bbmd_address,
                self.behaviours.get(dev.asset.id, Behaviour()),
            )
            image.start()
            image.update(self.last_readings[dev.asset.id])
            self.bacnet.append(image)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for image in self.bacnet:
            image.close()
        if self.bbmd is not None:
            self.bbmd.close()
        for server in self._servers:
            await server.shutdown()  # type: ignore[attr-defined]
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.mqtt is not None:
            self.mqtt.stop()

    def set_offline(self, asset_id: str, offline: bool) -> None:
        """Make an asset's Modbus or BACnet device stop answering (or answer again)."""
        for image in self.images:
            if image.device.asset.id == asset_id:
                image.offline = offline
        for bac in self.bacnet:
            if bac.device.asset.id == asset_id:
                bac.offline = offline

    def readings_at(self, asset: Asset, t: int) -> dict[str, float]:
        """What each sensor of ``asset`` reports at simulated second ``t``."""
        values = self.sim.readings(asset, np.array([t], dtype=np.int64))
        return {k: float(v[0]) for k, v in values.items()}

    def step(self, t: int) -> None:
        """Move the live state to simulated second ``t``: every asset's readings, the Modbus
        registers and BACnet objects they show, then the MQTT messages due."""
        self.sim_time = t
        for asset in self.sim.assets:
            self.last_readings[asset.id] = self.readings_at(asset, t)
        for image in self.images:
            image.update(self.last_readings[image.device.asset.id], t)
        for bac in self.bacnet:
            bac.update(self.last_readings[bac.device.asset.id])
        if self.mqtt is not None:
            self._publish_due(t)

    def _publish_due(self, t: int) -> None:
        assert self.mqtt is not None
        q = self.live.mqtt
        for asset in self.sim.assets:
            due = self._due[asset.id]
            readings = self.last_readings[asset.id]
            if t >= due.json_at:
                msg = json_message(asset, readings, t, q.topic_prefix)
                if msg is not None:
                    self.mqtt.publish(msg)
                due.json_at = t + q.json_interval_s
            if t >= due.plain_at:
                for msg in plain_messages(asset, readings, q.topic_prefix):
                    self.mqtt.publish(msg)
                due.plain_at = t + q.plain_interval_s

    async def run(self, duration_s: float | None = None) -> None:
        """Advance with the clock every ``tick_s`` wall seconds, for ``duration_s`` or forever."""
        stop_at = None if duration_s is None else time.monotonic() + duration_s
        while stop_at is None or time.monotonic() < stop_at:
            self.step(int(self.clock.now()))
            await asyncio.sleep(self.live.tick_s)
