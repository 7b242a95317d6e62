"""Benchmark the live simulator: Modbus requests/s and MQTT messages/s from one process.

Each figure is printed next to a reference measured in the same run:
- Modbus: a bare pymodbus server with static registers (same devices, same requests);
- MQTT: a bare paho-mqtt loop publishing ready-made payloads of the same size.
The load generator runs in this process, the server under test in a child process,
so each gets one of the two cores. All traffic stays on 127.0.0.1.

    python bench/sim_live.py [--seconds 5] [--clients 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from pymodbus.client import AsyncModbusTcpClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulators.config import LiveConfig, MqttLive, load_fleet_config
from simulators.engine import Simulation
from simulators.live import LiveSimulator, free_ports
from simulators.mqtt_sensors import MqttPublisher
from tests.servers import mosquitto

FLEET = Path(__file__).resolve().parent.parent / "simulators" / "fleets" / "campus.yaml"


def _serve_sim(port: int, ready: mp.synchronize.Event, seconds: float) -> None:
    cfg = load_fleet_config(FLEET)
    live_cfg = LiveConfig(
        start=cfg.start,
        speed=60.0,
        tick_s=1.0,
        modbus={"base_port": port, "devices_per_server": 8},
        mqtt=MqttLive(enabled=False),
    )

    async def main() -> None:
        async with LiveSimulator(Simulation(cfg), live_cfg) as live:
            ready.set()
            await live.run(seconds)

    asyncio.run(main())


def _serve_bare(port: int, ready: mp.synchronize.Event, seconds: float) -> None:
    from pymodbus.server import ModbusTcpServer
    from pymodbus.simulator import DataType, SimData, SimDevice

    devices = [
        SimDevice(
            id=u,
            simdata=(
                [SimData(0, count=16, values=False, datatype=DataType.BITS)],
                [SimData(0, count=16, values=False, datatype=DataType.BITS)],
                [SimData(0, count=210, values=0, datatype=DataType.REGISTERS)],
                [SimData(0, count=30, values=0, datatype=DataType.REGISTERS)],
            ),
        )
        for u in range(1, 8)
    ]

    async def main() -> None:
        server = ModbusTcpServer(devices, address=("127.0.0.1", port))
        task = asyncio.create_task(server.serve_forever())
        ready.set()
        await asyncio.sleep(seconds)
        await server.shutdown()  # type: ignore[no-untyped-call]
        task.cancel()

    asyncio.run(main())


async def _load(port: int, clients: int, seconds: float) -> int:
    stop = time.monotonic() + seconds

    async def one(unit: int) -> int:
        client = AsyncModbusTcpClient("127.0.0.1", port=port)
        await client.connect()
        n = 0
        while time.monotonic() < stop:
            rsp = await client.read_holding_registers(0, count=5, device_id=unit)
            assert not rsp.isError()
            n += 1
        client.close()
        return n

    return sum(await asyncio.gather(*(one(u % 7 + 1) for u in range(clients))))


def modbus_rate(target: Callable[..., None], clients: int, seconds: float) -> float:
    port = free_ports(1)[0]
    ready = mp.Event()
    proc = mp.Process(target=target, args=(port, ready, seconds + 5))
    proc.start()
    ready.wait(30)
    time.sleep(0.3)
    n = asyncio.run(_load(port, clients, seconds))
    proc.terminate()
    proc.join()
    return n / seconds


def _count_received(
    port: int, seconds: float, expected_topic: str
) -> tuple[dict[str, float], mqtt.Client]:
    got = {"n": 0.0, "last": 0.0}

    def on_message(c: mqtt.Client, u: object, m: mqtt.MQTTMessage) -> None:
        got["n"] += 1
        got["last"] = time.monotonic()

    sub = mqtt.Client(CallbackAPIVersion.VERSION2)
    sub.on_message = on_message
    sub.connect("127.0.0.1", port)
    sub.subscribe(expected_topic)
    sub.loop_start()
    return got, sub


def _publish_sim(port: int, seconds: float, out: mp.Queue) -> None:  # type: ignore[type-arg]
    cfg = load_fleet_config(FLEET)
    live_cfg = LiveConfig(
        start=cfg.start,
        modbus={"enabled": False},
        mqtt=MqttLive(port=port, json_interval_s=0.001, plain_interval_s=0.001),
    )
    sim = Simulation(cfg)

    async def main() -> int:
        async with LiveSimulator(sim, live_cfg) as live:
            assert live.mqtt is not None
            for _ in range(200):
                if live.mqtt.connected:
                    break
                await asyncio.sleep(0.05)
            t = int(sim.start) + 86400
            stop = time.monotonic() + seconds
            while time.monotonic() < stop:
                t += 1
                live.step(t)
                await asyncio.sleep(0)
            return live.mqtt.published

    out.put(asyncio.run(main()))


def _publish_bare(port: int, seconds: float, out: mp.Queue) -> None:  # type: ignore[type-arg]
    pub = MqttPublisher("127.0.0.1", port, qos=0, client_id="bare")
    pub.start()
    for _ in range(200):
        if pub.connected:
            break
        time.sleep(0.05)
    payload = json.dumps({"ts": "2025-01-02T00:00:00.000Z", "vibration_rms": 1.2345}).encode()
    from simulators.mqtt_sensors import Message

    msg = Message("north/library/plant-b1/north-library-plant-b1-hvac-1/telemetry", payload)
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        for _ in range(100):
            pub.publish(msg)
    out.put(pub.published)
    pub.stop()


def mqtt_rate(target: Callable[..., None], port: int, seconds: float) -> tuple[float, float]:
    got, sub = _count_received(port, seconds, "#")
    out: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    proc = mp.Process(target=target, args=(port, seconds, out))
    began = time.monotonic()
    proc.start()
    published = out.get(timeout=seconds + 60)
    proc.join()
    time.sleep(1.0)
    sub.loop_stop()
    sub.disconnect()
    received = got["n"]
    return published / seconds, received / max(1e-9, got["last"] - began)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    sim_rate = modbus_rate(_serve_sim, args.clients, args.seconds)
    bare_rate = modbus_rate(_serve_bare, args.clients, args.seconds)
    print(
        f"modbus  simulator: {sim_rate:8.0f} requests/s   bare pymodbus server: {bare_rate:8.0f}"
        f" requests/s   ratio {sim_rate / bare_rate:.2f}"
    )
    with tempfile.TemporaryDirectory() as tmp, mosquitto(Path(tmp)) as broker:
        sim_pub, sim_recv = mqtt_rate(_publish_sim, broker.port, args.seconds)
        bare_pub, bare_recv = mqtt_rate(_publish_bare, broker.port, args.seconds)
    print(
        f"mqtt    simulator: {sim_pub:8.0f} published/s ({sim_recv:.0f} received/s)   "
        f"bare paho loop: {bare_pub:8.0f} published/s ({bare_recv:.0f} received/s)   "
        f"ratio {sim_pub / bare_pub:.2f}"
    )


if __name__ == "__main__":
    main()
