"""A whole plant room on loopback: simulator (Modbus + MQTT), a real cloud service, gateways."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sqlalchemy.orm import Session

from cloud import crud
from cloud.db import make_engine, migrate
from cloud.storage.base import Sample, SeriesTags
from cloud.storage.embedded import EmbeddedStore
from edge.config import load_config
from edge.daemon import Gateway
from edge.modbus_config import DeviceConfig
from kernel.aio import within
from kernel.register_codec import decode, encode
from plantwatch.stack_setup import wait_for
from simulators.clock import SimClock
from simulators.config import FleetConfig, LiveConfig, MqttLive, load_fleet_config
from simulators.deployment import ModbusDevice, plain_signals, write_profiles
from simulators.engine import Simulation
from simulators.gateway_configs import Endpoints, gateway_configs
from simulators.live import LiveSimulator
from simulators.modbus_server import DeviceImage
from tests.cloud.conftest import SECRET
from tests.servers import Process, cloud_server

CAMPUS = Path(__file__).resolve().parents[2] / "simulators" / "fleets" / "campus.yaml"


def campus(**realism: Any) -> FleetConfig:
    """The campus fleet, optionally with realism changes (e.g. more sensor faults)."""
    cfg = load_fleet_config(CAMPUS)
    if realism:
        cfg = cfg.model_copy(update={"realism": cfg.realism.model_copy(update=realism)})
    return cfg


@dataclass
class Cloud:
    """A cloud service with embedded stores in a directory, and tokens per gateway."""

    server: Process
    root: Path
    tokens: dict[str, str]

    def store(self) -> EmbeddedStore:
        """The cloud's time-series file, opened read-side from the test."""
        return EmbeddedStore(self.root / "ts.db")

    def samples(self, sim: Simulation, start: datetime, end: datetime) -> list[Sample]:
        """Every stored value of the fleet's assets in [start, end)."""
        tags = [SeriesTags(a.asset_class, a.site.id, a.building, a.room, a.id) for a in sim.assets]
        return self.store().window(tags, None, start, end)

    def stored_batches(
        self, gateway: str | None = None
    ) -> list[tuple[str, int, int | None, int | None]]:
        """(batch id, readings, first seq, last seq) of every stored batch (of ``gateway``)."""
        from sqlalchemy import select

        from cloud.tables import IngestedBatch

        with Session(make_engine(f"sqlite:///{self.root}/pw.db")) as s:
            return [
                (b.batch_id, b.readings, b.first_seq, b.last_seq)
                for b in s.scalars(select(IngestedBatch))
                if gateway is None or b.gateway_id == gateway
            ]


@contextlib.contextmanager
def cloud(root: Path, gateways: list[str], port: int | None = None):  # type: ignore[no-untyped-def]
    """Start the cloud (uvicorn, embedded stores) with a token per gateway."""
    db = f"sqlite:///{root}/pw.db"
    migrate(db)
    tokens = {}
    with Session(make_engine(db)) as session:
        for gw in gateways:
            if session.get(crud.Gateway, gw) is None:
                crud.create_gateway(session, gw)
            tokens[gw] = crud.issue_gateway_token(session, SECRET, gw)[1]
    env = {
        "PLANTWATCH_SECRET_KEY": SECRET,
        "PLANTWATCH_DATABASE_URL": db,
        "PLANTWATCH_EMBEDDED_TSDB_PATH": str(root / "ts.db"),
    }
    with cloud_server(env, root, port=port) as server:
        yield Cloud(server, root, tokens)


def write_configs(
    fleet: FleetConfig,
    live: LiveSimulator,
    broker_port: int,
    cloud_url: str,
    tokens: dict[str, str],
    root: Path,
    tweak: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Path]:
    """Gateway configs pointing at this stack, written under ``root``."""
    ep = Endpoints(
        modbus_ports=tuple(live.ports),
        bacnet_bbmd=live.bbmd_address,
        mqtt_port=broker_port,
        cloud_url=cloud_url,
        token_dir=str(root),
        spool_dir=str(root),
        health_port=0,
        poll_interval_s=0.25,
        profiles_dir=str(write_profiles(root / "profiles")),
    )
    out = {}
    for gw_id, doc in gateway_configs(fleet, ep).items():
        (root / f"{gw_id}.token").write_text(tokens[gw_id])
        doc["uplink"]["interval_s"] = 0.2
        doc["uplink"]["backoff_initial_s"] = 0.2
        doc["uplink"]["backoff_max_s"] = 1.0
        for link in doc["links"]:
            link["quarantine_after"] = 2
            link["backoff_max_s"] = 1.0
            link["timeout_s"] = 0.3
        for net in doc.get("bacnet", []):
            net.update(quarantine_after=2, backoff_max_s=1.0, timeout_s=0.3, discover_timeout_s=0.5)
        doc["mqtt"][0]["backoff_max_s"] = 1.0
        if tweak:
            tweak(doc)
        path = root / f"{gw_id}.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        out[gw_id] = path
    return out


@contextlib.contextmanager
def live_in_thread(sim: Simulation, cfg: LiveConfig, clock: SimClock) -> Iterator[LiveSimulator]:
    """A live simulator serving from a thread of its own, for commands that run their own
    event loop (the CLI); stopped on leaving."""
    ready, done = threading.Event(), threading.Event()
    box: list[LiveSimulator] = []

    async def serve() -> None:
        async with LiveSimulator(sim, cfg, clock=clock) as live:
            box.append(live)
            ready.set()
            await asyncio.to_thread(done.wait, 120)

    thread = threading.Thread(target=lambda: asyncio.run(serve()))
    thread.start()
    try:
        if not ready.wait(30):
            raise AssertionError("the simulator did not start")
        yield box[0]
    finally:
        done.set()
        thread.join(30)


@contextlib.asynccontextmanager
async def running(path: Path) -> AsyncIterator[Gateway]:
    """A gateway daemon running in this event loop."""
    gw = Gateway(load_config(path))
    task = asyncio.create_task(gw.run(install_signals=False))
    try:
        for _ in range(200):
            if gw.health_port is not None:
                break
            await asyncio.sleep(0.02)
        yield gw
    finally:
        gw.stop()
        await within(task, 30)


async def until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Wait (bounded) until ``check`` holds; a timeout fails the test."""
    try:
        await wait_for(check, timeout_s, what)
    except TimeoutError as exc:
        raise AssertionError(str(exc)) from exc


def expected_value(live: LiveSimulator, asset_id: str, signal: str, t: int) -> float | None:
    """What the gateway should report for a signal at simulated second ``t``.

    Modbus values pass through the register encoding (scale, type range, nodata); BACnet
    values through a single-precision Real (or active/inactive).
    """
    asset = live.sim.by_id[asset_id]
    truth = float(live.sim.readings(asset, np.array([t], dtype=np.int64))[signal][0])
    if asset.protocol == "mqtt":  # sent as JSON, with four decimals
        return None if truth != truth else round(truth, 4)
    if asset.protocol == "bacnet":
        obj = next(
            (o for o in live.wiring.bacnet_of(asset_id).profile.objects if o.signal == signal), None
        )
        if truth != truth:
            return None
        if obj is None:
            return truth
        return (1.0 if truth else 0.0) if obj.object_type.is_binary else float(np.float32(truth))
    dev = live.wiring.device_of(asset_id)
    point = next((p for p in dev.profile.points if p.signal == signal), None)
    if point is None:
        return None if truth != truth else truth
    if point.type.value == "bool" or point.table.is_bit:
        return 1.0 if truth else 0.0
    order = dev.profile.order_of(point)
    value = decode(point, encode(point, truth, order), order)
    return None if value is None else float(value)  # type: ignore[arg-type]


def is_plain(live: LiveSimulator, asset_id: str, signal: str) -> bool:
    """True for signals of cheap sensors (stamped on arrival, not by the sensor)."""
    return signal in plain_signals(live.sim.by_id[asset_id].asset_class)


def live_config(fleet: FleetConfig, broker_port: int) -> LiveConfig:
    """Live settings: free Modbus and BACnet ports, the test broker, QoS 1 sensors."""
    return LiveConfig(
        start=fleet.start,
        modbus={"base_port": 0, "devices_per_server": 4},  # type: ignore[arg-type]
        bacnet={"base_port": 0},  # type: ignore[arg-type]  # two tests may serve BACnet at once
        mqtt=MqttLive(port=broker_port, qos=1, json_interval_s=1, plain_interval_s=1),
    )


def frozen_clock(fleet: FleetConfig, day: float) -> SimClock:
    """A simulator clock held at ``day`` days after the fleet's start."""
    return SimClock(start=fleet.start.timestamp() + day * 86400, frozen=True)


def utc(t: float) -> datetime:
    """Aware datetime of epoch seconds."""
    return datetime.fromtimestamp(t, UTC)


def image_at(sim: Simulation, device: ModbusDevice, t: int) -> DeviceImage:
    """A simulated unit's registers holding its readings at ``t`` (epoch s)."""
    image = DeviceImage(device)
    values = sim.readings(device.asset, np.array([t], dtype=np.int64))
    image.update({k: float(v[0]) for k, v in values.items()}, t)
    return image


def clocked_config(device: ModbusDevice, interval_s: float = 0.2) -> DeviceConfig:
    """The gateway's config for a simulated unit that stamps its samples by its own clock."""
    return DeviceConfig(
        asset=device.asset.id,
        profile=device.profile.model,
        unit_id=device.unit_id,
        interval_s=interval_s,
        clock_point="device_clock",
    )
