"""BACnet/IP end to end: simulated devices (bacpypes3) behind a BBMD, the gateway, the cloud."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from edge.daemon import Gateway
from edge.manifest import DEVICE_ONLINE
from simulators.bacnet_server import Behaviour
from simulators.clock import SimClock
from simulators.config import FleetConfig, LiveConfig, MqttLive
from simulators.engine import Simulation
from simulators.live import LiveSimulator
from tests.integration.gateway_stack import cloud, running, until, utc, write_configs
from tests.servers import Mosquitto

pytestmark = pytest.mark.integration

GW = "east-energy"
FLEET = """
seed: 11
start: 2025-01-01T00:00:00Z
horizon_days: 400
sites:
  - id: east
    name: East Campus
    kind: university
    buildings:
      - id: energy
        rooms:
          - id: plant
            assets:
              - {class: hvac, count: 2, protocol: bacnet}
              - {class: boiler, count: 1, protocol: bacnet}
              - {class: pump, count: 1}
"""


def fleet() -> FleetConfig:
    return FleetConfig.model_validate(yaml.safe_load(FLEET))


def live_config(f: FleetConfig, broker_port: int) -> LiveConfig:
    return LiveConfig(
        start=f.start,
        tick_s=0.2,
        modbus={"base_port": 0, "devices_per_server": 4},  # type: ignore[arg-type]
        bacnet={"base_port": 0},  # type: ignore[arg-type]
        mqtt=MqttLive(port=broker_port, qos=1, json_interval_s=5, plain_interval_s=5),
    )


def bacnet_assets(sim: Simulation) -> list[str]:
    return [a.id for a in sim.assets if a.protocol == "bacnet"]


def served_and_stored(live: LiveSimulator, samples: list[Any]) -> dict[tuple[str, str], int]:
    """Per BACnet (asset, signal): how many stored values; each must be one the device served."""
    served = {(b.device.asset.id, sig): vals for b in live.bacnet for sig, vals in b.served.items()}
    counts: dict[tuple[str, str], int] = {key: 0 for key in served}
    for s in samples:
        key = (s.asset, s.signal)
        if key not in served or s.value is None:
            continue
        assert s.value in served[key], f"{key}: {s.value} was never served"
        counts[key] += 1
    return counts


async def _run(
    tmp_path: Path,
    broker: Mosquitto,
    tweak: Callable[[dict[str, Any]], None],
    body: Callable[[LiveSimulator, Gateway], Any],
    behaviours: dict[str, Behaviour] | None = None,
) -> tuple[LiveSimulator, list[Any], Simulation]:
    f = fleet()
    sim = Simulation(f)
    clock = SimClock(start=f.start.timestamp() + 30 * 86400, speed=600)
    with cloud(tmp_path, [GW]) as c:
        live_sim = LiveSimulator(sim, live_config(f, broker.port), clock, behaviours)
        async with live_sim as live:
            ticking = asyncio.create_task(live.run(60))
            try:
                paths = write_configs(f, live, broker.port, c.server.url, c.tokens, tmp_path, tweak)
                async with running(paths[GW]) as gw:
                    await body(live, gw)
                assert gw.spool.depth == 0
            finally:
                ticking.cancel()
        t0 = f.start.timestamp()
        samples = c.samples(sim, utc(t0), utc(t0 + 3650 * 86400))
    return live, samples, sim


def _fast(doc: dict[str, Any]) -> None:
    doc["stages"] = ["validate", "anomaly", "local_alarm"]  # no deadband: keep every value


async def test_polled_values_reach_the_cloud_equal_to_the_devices(
    broker: Mosquitto, tmp_path: Path
) -> None:
    async def body(live: LiveSimulator, gw: Gateway) -> None:
        await until(
            lambda: all(d["polls"] >= 6 for b in gw.bacnet for d in b.status()), 30, "six polls"
        )
        status = [d for b in gw.bacnet for d in b.status()]
        assert all(d["online"] and d["read_multiple"] for d in status)
        assert all(d["address"] for d in status)  # found by Who-Is through the BBMD

    live, samples, sim = await _run(tmp_path, broker, _fast, body)
    counts = served_and_stored(live, samples)
    assert counts and all(n >= 3 for n in counts.values()), counts
    online = [s for s in samples if s.signal == DEVICE_ONLINE and s.asset in bacnet_assets(sim)]
    assert {s.asset for s in online} == set(bacnet_assets(sim))
    # Changing values, read at different times: not one value repeated over and over.
    assert any(len({s.value for s in samples if (s.asset, s.signal) == k}) > 2 for k in counts)
