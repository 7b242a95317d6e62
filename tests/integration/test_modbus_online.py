"""A device's online state as the gateway reports it: the report that it came back is never
stamped before the report that it was gone, whatever clock each was stamped by."""

from __future__ import annotations

import asyncio

import pytest

from edge.acquire.modbus_poller import ModbusLink
from edge.manifest import DEVICE_ONLINE
from edge.metrics import EdgeMetrics
from edge.modbus_config import TcpLink
from kernel.contract import Reading
from simulators.deployment import wire
from simulators.engine import Simulation
from simulators.modbus_server import ServerStats, build_server
from tests.integration.gateway_stack import campus, clocked_config, image_at
from tests.servers import free_port

pytestmark = pytest.mark.integration


async def test_back_online_is_reported_after_offline_when_the_device_clock_is_behind() -> None:
    sim = Simulation(campus())
    device = wire(sim.assets, 8).devices[0]
    t = sim.start + 12 * 86400  # the device's own clock: months behind the gateway's
    image = image_at(sim, device, t)
    port = free_port()
    link = TcpLink(
        name="plant",
        kind="tcp",
        host="127.0.0.1",
        port=port,
        timeout_s=0.3,
        quarantine_after=1,
        backoff_max_s=0.3,
        devices=[clocked_config(device)],
    )
    got: list[Reading] = []
    poller = ModbusLink(link, {device.profile.model: device.profile}, got.extend, EdgeMetrics())
    polling = asyncio.create_task(poller.run())
    server = build_server([image], "127.0.0.1", port, ServerStats())
    serving: asyncio.Task[None] | None = None
    try:
        for _ in range(50):  # nobody listens yet: the first polls fail
            if any(r.signal == DEVICE_ONLINE for r in got):
                break
            await asyncio.sleep(0.1)
        serving = asyncio.create_task(server.serve_forever())
        for _ in range(100):
            if poller.devices[0].online:
                break
            await asyncio.sleep(0.1)
    finally:
        polling.cancel()
        await asyncio.gather(polling, return_exceptions=True)
        await server.shutdown()
        if serving is not None:
            serving.cancel()
    states = [(r.value, r.ts_ms) for r in got if r.signal == DEVICE_ONLINE]
    assert [v for v, _ in states] == [0.0, 1.0]
    (_, offline_ms), (_, online_ms) = states
    assert online_ms > offline_ms  # a store keeping the latest by time shows it online
    data = [r for r in got if r.signal != DEVICE_ONLINE]
    assert data and all(r.ts_ms == t * 1000 for r in data)  # the values keep the device's time
