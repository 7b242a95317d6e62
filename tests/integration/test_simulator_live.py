"""The live simulator read through a plain pymodbus client and a real Mosquitto."""

import asyncio
import json
import queue
from datetime import datetime

import numpy as np
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from pymodbus.client import AsyncModbusTcpClient

from kernel.profiles import Table
from kernel.register_codec import decode, encode
from simulators.clock import SimClock
from simulators.config import FleetConfig, LiveConfig, MqttLive, synthetic_fleet
from simulators.deployment import DEVICE_CLOCK, MODEL_NAME, json_signals, plain_signals
from simulators.engine import Simulation
from simulators.live import LiveSimulator
from tests.servers import Mosquitto

pytestmark = pytest.mark.integration


def _fleet() -> FleetConfig:
    cfg = synthetic_fleet(8, seed=21)
    # Frequent sensor faults so garbage, dropouts and spikes reach the registers too.
    r = cfg.realism
    sf = r.sensor_faults.model_copy(update={"episodes_per_sensor_year": 40.0})
    return cfg.model_copy(update={"realism": r.model_copy(update={"sensor_faults": sf})})


async def _read(client: AsyncModbusTcpClient, table: Table, address: int, count: int, unit: int):
    fn = {
        Table.HOLDING: client.read_holding_registers,
        Table.INPUT: client.read_input_registers,
        Table.COIL: client.read_coils,
        Table.DISCRETE: client.read_discrete_inputs,
    }[table]
    rsp = await fn(address, count=count, device_id=unit)
    assert not rsp.isError(), rsp
    return rsp.bits[:count] if table.is_bit else rsp.registers


async def test_every_documented_register_equals_the_simulator() -> None:
    cfg = _fleet()
    sim = Simulation(cfg, horizon_days=60)
    live_cfg = LiveConfig(
        start=cfg.start,
        modbus={"base_port": 0, "devices_per_server": 3},  # type: ignore[arg-type]
        mqtt=MqttLive(enabled=False),
    )
    clock = SimClock(start=0)
    async with LiveSimulator(sim, live_cfg, clock=clock) as live:
        assert len(live.ports) == 3
        checked = 0
        # Several instants, so faults and stops show up in some of them.
        for day in (1, 9, 23, 41):
            t = sim.start + day * 86400 + 12345
            live.step(t)
            for dev in live.wiring.devices:
                expected = sim.readings(dev.asset, np.array([t], dtype=np.int64))
                client = AsyncModbusTcpClient("127.0.0.1", port=live.ports[dev.port_index])
                await client.connect()
                try:
                    for point in dev.profile.points:
                        got = await _read(
                            client, point.table, point.address, point.words, dev.unit_id
                        )
                        order = dev.profile.order_of(point)
                        value = decode(point, got, order) if not point.table.is_bit else got[0]
                        source = point.signal or point.name.removeprefix("status_")
                        if source == DEVICE_CLOCK:
                            assert value == t
                        elif source == MODEL_NAME:
                            assert value == dev.profile.model
                        else:
                            truth = float(expected[source][0])
                            if point.table.is_bit or point.type.value == "bool":
                                assert value == bool(truth), point.name
                            else:
                                # What the device can represent of the truth (scale, type range).
                                want = decode(point, encode(point, truth, order), order)
                                if want is None:
                                    assert value is None, point.name
                                else:
                                    assert value == pytest.approx(want, rel=1e-6), point.name
                                    if point.type.value.startswith("float"):
                                        assert value == pytest.approx(truth, rel=1e-6)
                        checked += 1
                finally:
                    client.close()
        assert checked == 4 * sum(len(d.profile.points) for d in live.wiring.devices)
        assert live.stats.requests == checked


def test_mqtt_messages_carry_the_simulator_values(broker: Mosquitto) -> None:
    cfg = _fleet()
    sim = Simulation(cfg, horizon_days=60)
    got: queue.Queue[tuple[str, bytes]] = queue.Queue()
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-sub")
    sub.on_message = lambda c, u, m: got.put((m.topic, m.payload))
    sub.connect("127.0.0.1", broker.port)
    sub.subscribe("#", qos=1)
    sub.loop_start()
    live_cfg = LiveConfig(
        start=cfg.start,
        modbus={"enabled": False},  # type: ignore[arg-type]
        mqtt=MqttLive(port=broker.port, qos=1, json_interval_s=60, plain_interval_s=120),
    )

    async def drive() -> None:
        async with LiveSimulator(sim, live_cfg, clock=SimClock(start=0)) as live:
            assert live.mqtt is not None
            for _ in range(100):  # wait for the publisher's connection, bounded
                if live.mqtt.connected:
                    break
                await asyncio.sleep(0.05)
            for k in range(6):
                live.step(sim.start + 86400 + k * 60)
            await asyncio.sleep(0.5)

    asyncio.run(drive())
    messages = []
    for _ in range(10_000):  # bounded: drain until the broker has nothing more for a second
        try:
            messages.append(got.get(timeout=1.0))
        except queue.Empty:
            break
    sub.loop_stop()
    sub.disconnect()
    by_asset = {a.id: a for a in sim.assets}
    json_seen = plain_seen = 0
    for topic, payload in messages:
        parts = topic.split("/")
        asset = by_asset[parts[3]]
        if parts[4] == "telemetry":
            body = json.loads(payload)
            t = int(datetime.fromisoformat(body.pop("ts").replace("Z", "+00:00")).timestamp())
            truth = sim.readings(asset, np.array([t], dtype=np.int64))
            assert set(body) <= set(json_signals(asset.asset_class))
            for signal, value in body.items():
                assert value == pytest.approx(truth[signal][0], abs=1e-4)
            json_seen += 1
        else:
            assert parts[4] in plain_signals(asset.asset_class)
            float(payload)
            plain_seen += 1
    # 8 assets: JSON every 60 s over 6 steps -> 6 each; plain every 120 s -> 3 each, 2 signals
    assert json_seen >= 8 * 6 - 8
    assert plain_seen == 2 * 2 * 3
