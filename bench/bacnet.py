"""Benchmark BACnet/IP acquisition: the gateway's BACnet link against a bare bacpypes3 client.

Simulated BACnet devices (bacpypes3, each on its own UDP port on 127.0.0.1) run in a process
of their own; the readers run in this one, each for the same bounded time, reading the same
objects (present value and status flags) as fast as they can, eight devices at a time:

- bare client, RPM: one ReadPropertyMultiple per device per round, nothing else;
- gateway: `BacnetLink` (planning, quarantine, status flags, readings), interval 1 ms;
- bare client, RP: one ReadProperty (present value) per point: the request count to beat.

Printed side by side: points per second, CPU microseconds per point (this process only)
and requests per point, with the ratios the targets speak of.

    python bench/bacnet.py [--devices 20] [--seconds 8] [--objects 10]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import multiprocessing as mp
import sys
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bacpypes3.pdu import Address

from edge.acquire import bacnet_client
from edge.acquire.bacnet_link import MAX_IN_FLIGHT, BacnetLink
from edge.bacnet_config import BacnetNetwork, BacnetPort
from edge.metrics import EdgeMetrics
from kernel.bacnet_profiles import BacnetPoint, BacnetProfile
from simulators.config import FleetConfig
from simulators.deployment import BacnetDevice, wire
from simulators.fleet import build_fleet
from simulators.live import free_ports

FLEET = """
seed: 3
start: 2025-01-01T00:00:00Z
horizon_days: 30
sites:
  - id: bench
    name: Bench
    kind: university
    buildings:
      - id: b
        rooms:
          - id: r
            assets: [{class: hvac, count: %d, protocol: bacnet}]
"""


def devices(count: int, objects: int) -> list[BacnetDevice]:
    """The simulated devices: chiller controllers with their ten objects, or (``objects``
    other than 10) a controller of that many analog inputs, as an air handler's is."""
    fleet = FleetConfig.model_validate(yaml.safe_load(FLEET % count))
    out = list(wire(build_fleet(fleet), 8).bacnet)
    if objects == len(out[0].profile.objects):
        return out
    points = [
        BacnetPoint(name=f"p{i}", object=f"analog-input:{i}", signal=f"p{i}", unit="degC")
        for i in range(1, objects + 1)
    ]
    big = BacnetProfile(protocol="bacnet", model="bench-ahu", manufacturer="bench", objects=points)
    return [dataclasses.replace(d, profile=big) for d in out]


def serve(count: int, objects: int, ports: list[int], ready: Any, stop: Any) -> None:
    """Serve the devices until ``stop`` is set (in a process of its own)."""
    from simulators.bacnet_server import BacnetImage

    async def main() -> None:
        images = []
        for dev, port in zip(devices(count, objects), ports, strict=True):
            image = BacnetImage(dev, f"127.0.0.1:{port}", None)
            image.start()
            image.update({o.signal: 1.5 for o in dev.profile.objects if o.signal})
            images.append(image)
        ready.set()
        await asyncio.to_thread(stop.wait, 600)  # bounded: the bench sets it long before
        print(f"  devices answered {sum(i.app.requests for i in images)} requests in all")

    asyncio.run(main())


async def bare(
    addresses: list[str], devs: list[BacnetDevice], seconds: float, rpm: bool
) -> dict[str, float]:
    """A bare bacpypes3 client: RPM per device, or RP per point, for ``seconds``."""
    port = BacnetPort(
        local_address=f"127.0.0.1:{free_ports(1, udp=True)[0]}", device_instance=4194300
    )
    app = bacnet_client.build_application(port)
    points = requests = 0
    sem = asyncio.Semaphore(MAX_IN_FLIGHT)
    end = time.monotonic() + seconds

    async def one(addr: str, dev: BacnetDevice) -> None:
        nonlocal points, requests
        objs = dev.profile.objects
        while time.monotonic() < end:
            async with sem:
                if rpm:
                    params: list[Any] = []
                    for o in objs:
                        params += [bacnet_client.object_id(o), ["present-value", "status-flags"]]
                    await app.read_property_multiple(Address(addr), params)
                    requests += 1
                else:
                    for o in objs:
                        await app.read_property(
                            Address(addr), bacnet_client.object_id(o), "present-value"
                        )
                        requests += 1
                points += len(objs)

    cpu = time.process_time()
    wall = time.monotonic()
    await asyncio.gather(*(one(a, d) for a, d in zip(addresses, devs, strict=True)))
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    await bacnet_client.close(app)
    return {"points": points, "requests": requests, "cpu": cpu, "wall": wall}


async def gateway(
    addresses: list[str], devs: list[BacnetDevice], seconds: float
) -> dict[str, float]:
    """The gateway's BACnet link, polling every device as often as it can."""
    net = BacnetNetwork(
        name="bench",
        local_address=f"127.0.0.1:{free_ports(1, udp=True)[0]}",
        device_instance=4194301,
        devices=[
            {
                "asset": d.asset.id,
                "profile": d.profile.model,
                "instance": d.instance,
                "address": a,
                "interval_s": 0.001,
            }
            for a, d in zip(addresses, devs, strict=True)
        ],  # type: ignore[misc]
    )
    metrics = EdgeMetrics()
    emitted = 0

    def emit(readings: list[Any]) -> None:
        nonlocal emitted
        emitted += len(readings)

    link = BacnetLink(net, {d.profile.model: d.profile for d in devs}, emit, metrics)
    cpu = time.process_time()
    wall = time.monotonic()
    task = asyncio.create_task(link.run())
    await asyncio.sleep(seconds)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    points = sum(d.polls * len(d.profile.objects) for d in link.devices)
    requests = sum(
        s.value
        for m in metrics.bacnet_requests.collect()
        for s in m.samples
        if s.name.endswith("_total")
    )
    return {"points": points, "requests": requests, "cpu": cpu, "wall": wall, "readings": emitted}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--objects", type=int, default=10, help="Objects per device (10: a chiller)")
    args = ap.parse_args()
    devs = devices(args.devices, args.objects)
    ports = free_ports(args.devices, udp=True)
    ctx = mp.get_context("spawn")
    ready, stop = ctx.Event(), ctx.Event()
    farm = ctx.Process(target=serve, args=(args.devices, args.objects, ports, ready, stop))
    farm.start()
    try:
        if not ready.wait(60):
            raise SystemExit("the simulated devices did not start")
        addresses = [f"127.0.0.1:{p}" for p in ports]
        n_obj = len(devs[0].profile.objects)
        print(
            f"{args.devices} BACnet devices x {n_obj} objects on 127.0.0.1,"
            f" {args.seconds:.0f} s each"
        )
        rows = {
            "bare bacpypes3, RPM": asyncio.run(bare(addresses, devs, args.seconds, rpm=True)),
            "plantwatch gateway": asyncio.run(gateway(addresses, devs, args.seconds)),
            "bare bacpypes3, RP per point": asyncio.run(
                bare(addresses, devs, args.seconds, rpm=False)
            ),
        }
    finally:
        stop.set()
        farm.join(30)
    print(f"{'reader':30s} {'points/s':>10s} {'CPU us/point':>13s} {'requests/point':>15s}")
    for name, r in rows.items():
        print(
            f"{name:30s} {r['points'] / r['wall']:10.0f} {1e6 * r['cpu'] / r['points']:13.1f}"
            f" {r['requests'] / r['points']:15.3f}"
        )
    g, b, rp = (
        rows["plantwatch gateway"],
        rows["bare bacpypes3, RPM"],
        rows["bare bacpypes3, RP per point"],
    )
    cpu_ratio = (g["cpu"] / g["points"]) / (b["cpu"] / b["points"])
    coalescing = (rp["requests"] / rp["points"]) / (g["requests"] / g["points"])
    print(f"CPU per point, gateway / bare client: {cpu_ratio:.2f}x (target <= 2)")
    print(
        "requests per point, one ReadProperty per point / gateway:"
        f" {coalescing:.1f}x (target >= 10)"
    )


if __name__ == "__main__":
    main()
