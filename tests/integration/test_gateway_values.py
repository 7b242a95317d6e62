"""Values polled over Modbus and received over MQTT reach the cloud equal to the simulator's."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from edge.manifest import DEVICE_ONLINE
from kernel.contract import Quality
from simulators.engine import Simulation
from simulators.live import LiveSimulator
from tests.integration.gateway_stack import (
    campus,
    cloud,
    expected_value,
    frozen_clock,
    is_plain,
    live_config,
    running,
    until,
    utc,
    write_configs,
)
from tests.servers import Mosquitto

pytestmark = pytest.mark.integration


def _no_deadband(doc: dict) -> None:  # type: ignore[type-arg]
    doc["stages"] = ["validate", "anomaly", "local_alarm"]


async def test_every_value_reaching_the_cloud_equals_the_simulator(
    broker: Mosquitto, tmp_path: Path
) -> None:
    # Frequent sensor faults so garbage, dropouts and drifts go through the whole chain too.
    fleet = campus(
        sensor_faults=campus().realism.sensor_faults.model_copy(
            update={"episodes_per_sensor_year": 30.0}
        )
    )
    sim = Simulation(fleet)
    clock = frozen_clock(fleet, day=40.3)
    t0 = int(clock.now())
    with cloud(tmp_path, ["north-library", "north-science"]) as c:
        async with LiveSimulator(sim, live_config(fleet, broker.port), clock=clock) as live:
            paths = write_configs(
                fleet, live, broker.port, c.server.url, c.tokens, tmp_path, _no_deadband
            )
            async with (
                running(paths["north-library"]) as lib,
                running(paths["north-science"]) as sci,
            ):
                await until(
                    lambda: all(m.connected for g in (lib, sci) for m in g.listeners),
                    10,
                    "MQTT subscriptions",
                )
                live.step(t0)  # publish the MQTT sensors now that the gateways listen
                await until(
                    lambda: all(
                        d["polls"] >= 3
                        for g in (lib, sci)
                        for d in [*g.links.status(), *(x for b in g.bacnet for x in b.status())]
                    ),
                    15,
                    "three polls each",
                )
                await asyncio.sleep(1.0)
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{lib.health_port}") as h:
                    health = (await h.get("/healthz")).json()
                    metrics = (await h.get("/metrics")).text
            # Stopping flushed the spools.
            assert lib.spool.depth == 0 and sci.spool.depth == 0
        samples = c.samples(sim, utc(t0 - 86400), utc(t0 + 10 * 365 * 86400))
    assert health["ok"] and all(d["online"] for d in health["devices"])
    assert "plantwatch_gateway_readings_sent_total" in metrics
    assert all(d["online"] for d in health["bacnet"])
    checked = {"modbus": 0, "json": 0, "plain": 0, "bacnet": 0}
    by_key = {(s.asset, s.signal): s for s in samples if s.signal != DEVICE_ONLINE}
    for asset in sim.assets:
        if asset.protocol == "bacnet":
            polled = {o.signal for o in live.wiring.bacnet_of(asset.id).profile.objects}
        else:
            polled = {p.signal for p in live.wiring.device_of(asset.id).profile.points if p.signal}
        for spec in asset.equipment.signals:
            sample = by_key.get((asset.id, spec.name))
            assert sample is not None, f"{asset.id}/{spec.name} never reached the cloud"
            want = expected_value(live, asset.id, spec.name, t0)
            if is_plain(live, asset.id, spec.name):
                assert sample.value == pytest.approx(want, abs=0.006)  # sent with 2 decimals
                checked["plain"] += 1
                continue
            bacnet = asset.protocol == "bacnet" and spec.name in polled
            # BACnet devices have no clock: the gateway stamps their values on reading.
            assert bacnet or sample.ts == utc(t0), (asset.id, spec.name)
            if want is None and bacnet:
                assert sample.quality & Quality.DEVICE_FAULT  # the device flags the value
            elif want is None:
                assert sample.value is None and sample.quality & 8
            else:
                assert sample.value == pytest.approx(want, rel=1e-6, abs=1e-4), (
                    asset.id,
                    spec.name,
                )
            kind = "json" if spec.name not in polled else "bacnet" if bacnet else "modbus"
            checked[kind] += 1
    assert checked["modbus"] > 50 and checked["json"] >= 8 and checked["plain"] == 2
    assert checked["bacnet"] >= 8
    # A connect that times out on a loaded machine is recorded as offline (0) and retried:
    # every device reported, and every one is online at its latest report.
    online = sorted((s for s in samples if s.signal == DEVICE_ONLINE), key=lambda s: s.ts)
    latest = {s.asset: s.value for s in online}
    assert set(latest) == {a.id for a in sim.assets} and all(v == 1 for v in latest.values())
