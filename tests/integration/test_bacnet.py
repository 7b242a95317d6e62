"""BACnet/IP end to end: simulated devices (bacpypes3) behind a BBMD, the gateway, the cloud."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from edge.acquire.bacnet_link import BacnetLink
from edge.acquire.bacnet_plan import DeviceLimits, objects_per_request
from edge.bacnet_config import BacnetDeviceConfig, BacnetNetwork
from edge.daemon import Gateway
from edge.manifest import DEVICE_ONLINE
from edge.metrics import EdgeMetrics
from kernel.bacnet_profiles import BACNET_UNITS, BacnetPoint, BacnetProfile, load_bacnet_profiles
from kernel.contract import Quality, Reading
from plantwatch.cli import app
from simulators.bacnet_server import BacnetImage, Behaviour
from simulators.clock import SimClock
from simulators.config import FleetConfig, LiveConfig, MqttLive
from simulators.deployment import BacnetDevice, wire
from simulators.engine import Simulation
from simulators.fleet import build_fleet
from simulators.live import LiveSimulator, free_ports
from tests.integration.gateway_stack import (
    cloud,
    expected_value,
    is_plain,
    live_in_thread,
    running,
    until,
    utc,
    write_configs,
)
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
              - {class: pump, count: 1, protocol: mqtt}  # a controller that publishes JSON
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
    tweak: Callable[[dict[str, Any], LiveSimulator], None],
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
                paths = write_configs(
                    f, live, broker.port, c.server.url, c.tokens, tmp_path, lambda d: tweak(d, live)
                )
                async with running(paths[GW]) as gw:
                    await body(live, gw)
                assert gw.spool.depth == 0
                assert not ticking.done(), "the simulator's clock loop ended early"
            finally:
                ticking.cancel()
        t0 = f.start.timestamp()
        samples = c.samples(sim, utc(t0), utc(t0 + 3650 * 86400))
    return live, samples, sim


def _fast(doc: dict[str, Any], _live: LiveSimulator | None = None) -> None:
    doc["stages"] = ["validate", "anomaly", "local_alarm"]  # no deadband: keep every value


async def test_polled_values_reach_the_cloud_equal_to_the_devices(
    broker: Mosquitto, tmp_path: Path
) -> None:
    async def body(live: LiveSimulator, gw: Gateway) -> None:
        await until(lambda: all(m.connected for m in gw.listeners), 10, "MQTT subscriptions")
        await until(
            lambda: all(d["polls"] >= 6 for b in gw.bacnet for d in b.status()), 30, "six polls"
        )
        await asyncio.sleep(1.0)  # a few ticks' MQTT messages
        status = [d for b in gw.bacnet for d in b.status()]
        assert all(d["online"] and d["read_multiple"] for d in status)
        assert all(d["address"] for d in status)  # found by Who-Is through the BBMD

    live, samples, sim = await _run(tmp_path, broker, _fast, body)
    counts = served_and_stored(live, samples)
    assert counts and all(n >= 3 for n in counts.values()), counts
    online = [s for s in samples if s.signal == DEVICE_ONLINE and s.asset in bacnet_assets(sim)]
    assert {s.asset for s in online} == set(bacnet_assets(sim))
    # The controller that speaks MQTT: every signal of its class arrives, as it was sent.
    (mqtt,) = [a for a in sim.assets if a.protocol == "mqtt"]
    got = [s for s in samples if s.asset == mqtt.id]
    assert {s.signal for s in got} == {s.name for s in mqtt.equipment.signals}
    for s in got:
        want = expected_value(live, mqtt.id, s.signal, int(s.ts.timestamp()))
        if is_plain(live, mqtt.id, s.signal):
            continue  # stamped on arrival, not by the sensor
        assert s.value == want, (s.signal, s.ts)
    # Changing values, read at different times: not one value repeated over and over.
    assert any(len({s.value for s in samples if (s.asset, s.signal) == k}) > 2 for k in counts)


def _cov(doc: dict[str, Any], _live: LiveSimulator) -> None:
    _fast(doc)
    for dev in doc["bacnet"][0]["devices"]:
        dev.update(cov=True, cov_lifetime_s=6, cov_verify_s=120)


async def test_change_of_value_notifications_reach_the_cloud_and_survive_a_lapse(
    broker: Mosquitto, tmp_path: Path
) -> None:
    chiller = "east-energy-plant-hvac-1"
    marks: dict[str, int] = {}

    async def body(live: LiveSimulator, gw: Gateway) -> None:
        (link,) = gw.bacnet
        await until(lambda: all(d.cov is not None for d in link.devices), 20, "subscriptions")
        polls = {d.cfg.asset: d.polls for d in link.devices}
        await asyncio.sleep(2.0)
        # Values come by notification: the devices are not polled meanwhile.
        assert {d.cfg.asset: d.polls for d in link.devices} == polls
        image = next(b for b in live.bacnet if b.device.asset.id == chiller)
        assert image.drop_subscriptions() > 0  # the controller restarts and forgets them
        marks["dropped"] = int(time.time() * 1000)
        # Renewal (lifetime - 2 s) subscribes again: notifications resume within one lifetime.
        await asyncio.sleep(6.0)

    live, samples, _ = await _run(tmp_path, broker, _cov, body)
    counts = served_and_stored(live, samples)
    assert counts and all(n >= 3 for n in counts.values()), counts
    late = marks["dropped"] + 2500
    after = [s for s in samples if s.asset == chiller and s.ts.timestamp() * 1000 > late]
    assert len(after) > 10, "notifications did not resume after the device forgot them"


async def test_a_silent_device_a_refusal_of_rpm_a_small_apdu_and_status_flags(
    broker: Mosquitto, tmp_path: Path
) -> None:
    refuser, small, silent = (
        "east-energy-plant-hvac-1",
        "east-energy-plant-hvac-2",
        "east-energy-plant-boiler-1",
    )
    behaviours = {
        refuser: Behaviour(read_multiple=False),
        small: Behaviour(max_apdu=128, segmented=False),
    }
    seen: dict[str, Any] = {}

    async def body(live: LiveSimulator, gw: Gateway) -> None:
        (link,) = gw.bacnet
        by = {d.cfg.asset: d for d in link.devices}
        await until(lambda: all(d.polls >= 3 for d in link.devices), 30, "three polls each")
        image = {b.device.asset.id: b for b in live.bacnet}
        image[small].set_out_of_service("supply_air_temp")
        image[silent].offline = True
        await until(lambda: by[silent].backoff_s > 0, 20, "quarantine of the silent device")
        polls = by[small].polls
        await asyncio.sleep(2.0)
        seen["neighbour_polls"] = by[small].polls - polls  # not slowed by the silent one
        image[silent].offline = False
        await until(lambda: by[silent].online is True, 20, "the device answering again")
        seen["status"] = {d["asset"]: d for d in link.status()}

    live, samples, _ = await _run(tmp_path, broker, _fast, body, behaviours)
    status = seen["status"]
    assert status[refuser]["read_multiple"] is False  # fell back to ReadProperty
    # Ten objects do not fit in one 128-byte answer: five per request, learned from its I-Am.
    assert status[small]["read_multiple"]
    assert status[small]["objects_per_request"] == objects_per_request(DeviceLimits(128)) == 5
    assert seen["neighbour_polls"] >= 4  # every 0.25 s, while the silent one times out
    counts = served_and_stored(live, samples)
    assert all(n >= 3 for n in counts.values()), counts
    flagged = [
        s for s in samples if (s.asset, s.signal) == (small, "supply_air_temp") and s.quality
    ]
    assert flagged and all(s.quality & Quality.OUT_OF_SERVICE for s in flagged)
    online = [s.value for s in samples if s.asset == silent and s.signal == DEVICE_ONLINE]
    assert online[:3] == [1.0, 0.0, 1.0]


async def test_devices_at_known_addresses_and_a_reload_that_adds_and_removes_them(
    broker: Mosquitto, tmp_path: Path
) -> None:
    def direct(doc: dict[str, Any], live: LiveSimulator) -> None:  # no BBMD: known addresses
        _fast(doc)
        net = doc["bacnet"][0]
        del net["foreign"]
        address = {b.device.asset.id: b.address for b in live.bacnet}
        for dev in net["devices"]:
            dev["address"] = address[dev["asset"]]
        seen["all"] = list(net["devices"])
        net["devices"] = net["devices"][:2]

    seen: dict[str, Any] = {}

    async def body(live: LiveSimulator, gw: Gateway) -> None:
        doc = yaml.safe_load(gw.cfg.path.read_text())
        # Five polls for three stored values each: a read that times out on a loaded machine
        # is a poll without values, not a loss.
        await until(lambda: all(d.polls >= 5 for b in gw.bacnet for d in b.devices), 20, "polls")
        doc["bacnet"][0]["devices"] = seen["all"][1:]  # one removed, one added
        gw.cfg.path.write_text(yaml.safe_dump(doc))
        assert await gw.reload()
        (link,) = gw.bacnet
        assert [d.cfg.asset for d in link.devices] == [d["asset"] for d in seen["all"][1:]]
        await until(lambda: all(d.polls >= 5 for d in link.devices), 20, "polls after reload")
        seen["status"] = link.status()

    live, samples, _ = await _run(tmp_path, broker, direct, body)
    assert all(d["online"] and d["address"] for d in seen["status"])
    counts = served_and_stored(live, samples)
    # The removed device's last poll too: it goes out before the manifest without it.
    assert all(n >= 3 for n in counts.values()), counts


def test_discover_lists_devices_and_writes_a_config_skeleton(tmp_path: Path) -> None:
    f = fleet()
    sim = Simulation(f)
    cfg = LiveConfig(
        start=f.start,
        modbus={"enabled": False},  # type: ignore[arg-type]
        bacnet={"base_port": 0},  # type: ignore[arg-type]
        mqtt=MqttLive(enabled=False),
    )
    clock = SimClock(start=f.start.timestamp() + 86400, frozen=True)
    with live_in_thread(sim, cfg, clock) as live:
        assert live.bbmd_address is not None
        found = {b.device.instance: b for b in live.bacnet}
        r = CliRunner().invoke(
            app,
            [
                "gateway", "discover", "bacnet", "--local", "127.0.0.1:0",
                "--bbmd", live.bbmd_address, "--low", "10000", "--high", "10999",
                "--wait", "1", "--write", str(tmp_path),
            ],
        )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "3 device(s) answered" in r.output
    for instance, image in found.items():
        assert f"device {instance}" in r.output and image.device.asset.id[-40:] in r.output
        assert "supply_air_temp" in r.output or "flue_gas_temp" in r.output
    profiles = load_bacnet_profiles(tmp_path / "profiles")
    assert len(profiles) == 3
    (section,) = yaml.safe_load((tmp_path / "bacnet.yaml").read_text())
    assert {d["instance"] for d in section["devices"]} == set(found)
    for dev in section["devices"]:
        want = found[dev["instance"]].device.profile
        got = profiles[dev["profile"]]
        # The skeleton's objects and units are the device's own, mapped to catalogue units.
        # A unit BACnet has no name for (uA) is served as no-units: the skeleton leaves it open.
        pairs = {(o.object, o.unit if o.unit in BACNET_UNITS else "") for o in want.objects}
        assert {(o.object, o.unit) for o in got.objects} == pairs


async def test_every_object_type_is_read_as_the_device_shows_it() -> None:
    """Inputs, outputs and values, analog, binary and multi-state: one device of each kind
    of object, polled and followed by change of value (where its stack offers it)."""
    f = fleet()
    (chiller, *_) = [a for a in build_fleet(f) if a.asset_class == "hvac"]
    kinds = {
        "compressor_current": "analog-input:1",
        "suction_pressure": "analog-output:1",
        "discharge_pressure": "analog-value:1",
        "supply_air_temp": "analog-value:2",
        "compressor_running": "binary-output:1",
        "high_pressure_alarm": "binary-value:1",
        "low_pressure_alarm": "multi-state-input:1",  # shown as state 1 (off) or 2 (on)
        "return_air_temp": "multi-state-value:1",
        "outdoor_temp": "multi-state-output:1",
    }
    units = {o.signal: o.unit for o in wire([chiller], 8).bacnet[0].profile.objects}
    profile = BacnetProfile(
        protocol="bacnet",
        model="every-kind",
        manufacturer="test",
        objects=[BacnetPoint(name=s, object=o, signal=s, unit=units[s]) for s, o in kinds.items()],
    )
    port, local = free_ports(2, udp=True)
    image = BacnetImage(BacnetDevice(chiller, profile, 10001), f"127.0.0.1:{port}", None)
    image.start()
    sim = Simulation(f)
    t = int(f.start.timestamp()) + 20 * 86400
    for step in range(3):
        image.update(_readings(sim, chiller, t + 600 * step))
        got: list[Reading] = []
        for cov in (False, True):
            net = BacnetNetwork(
                name="plant",
                local_address=f"127.0.0.1:{local}",
                device_instance=4190000,
                devices=[
                    BacnetDeviceConfig(
                        asset=chiller.id,
                        profile="every-kind",
                        instance=10001,
                        address=f"127.0.0.1:{port}",
                        interval_s=0.1,
                        cov=cov,
                    )
                ],
            )
            link = BacnetLink(net, {"every-kind": profile}, got.extend, EdgeMetrics())
            task = asyncio.create_task(link.run())
            await until(lambda link=link: link.devices[0].polls >= 2, 10, "two polls")
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            # bacpypes3 offers no change of value on a multi-state output: the device is
            # refused its subscriptions and polled instead.
            assert link.devices[0].cov_refused is cov
        values = {(r.signal, r.value) for r in got if r.signal != DEVICE_ONLINE}
        assert {s for s, _ in values} == set(kinds)
        for signal, value in values:
            assert value in image.served[signal], (signal, value)
    image.close()


def _readings(sim: Simulation, asset: Any, t: int) -> dict[str, float]:
    values = sim.readings(asset, np.array([t], dtype=np.int64))
    return {k: float(v[0]) for k, v in values.items()}
