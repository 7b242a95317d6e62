"""Delivery under the faults a plant room sees: a gateway killed while the broker hands it
QoS 1 messages, a spool whose disk fills up, a spool file deleted or restored from a copy."""

from __future__ import annotations

import asyncio
import shutil
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt

from cloud.storage.base import SeriesTags
from simulators.engine import Simulation
from simulators.live import LiveSimulator
from tests.integration.conftest import fill
from tests.integration.gateway_stack import (
    Cloud,
    campus,
    cloud,
    frozen_clock,
    live_config,
    running,
    until,
    write_configs,
)
from tests.integration.test_gateway_faults import _gateway_process
from tests.servers import Mosquitto, free_port, wait_port

GATEWAY = "north-library"
PUMP = "north-library-plant-b1-pump-1"
TOPIC = f"north/library/plant-b1/{PUMP}/telemetry"


def _no_deadband(doc: dict) -> None:  # type: ignore[type-arg]
    doc["stages"] = ["validate", "anomaly", "local_alarm"]
    doc["uplink"]["batch_max"] = 500


def _stored_ts(c: Cloud, sim: Simulation, signal_name: str) -> set[int]:
    asset = sim.by_id[PUMP]
    tags = [SeriesTags(asset.asset_class, asset.site.id, asset.building, asset.room, PUMP)]
    far = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
    return {
        int(s.ts.timestamp() * 1000)
        for s in c.store().window(tags, [signal_name], *far)
        if s.value is not None
    }


class Sensor:
    """A QoS 1 sensor publishing numbered readings, keeping those the broker acknowledged."""

    def __init__(self, port: int, first_ms: int) -> None:
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="pw-test-sensor")
        self.client.max_inflight_messages_set(100)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.first_ms, self.acked, self.stop = first_ms, [], threading.Event()

    def run(self, per_second: float, seconds: float) -> None:
        """Publish at ``per_second`` for at most ``seconds`` or until stopped."""
        deadline, k = time.monotonic() + seconds, 0
        while not self.stop.is_set() and time.monotonic() < deadline:
            ts = self.first_ms + k
            info = self.client.publish(
                TOPIC, f'{{"ts": {ts}, "vibration_rms": {2 + (k % 50) / 10}}}', qos=1
            )
            info.wait_for_publish(5)
            if info.is_published():
                self.acked.append(ts)
            k += 1
            time.sleep(1 / per_second)
        self.client.loop_stop()
        self.client.disconnect()


async def test_qos1_messages_survive_a_gateway_killed_again_and_again(
    broker: Mosquitto, tmp_path: Path
) -> None:
    fleet = campus()
    sim = Simulation(fleet)
    health = free_port()

    def tweak(doc: dict) -> None:  # type: ignore[type-arg]
        _no_deadband(doc)
        doc["health"]["port"] = health

    with cloud(tmp_path, [GATEWAY, "north-science"]) as c:
        clock = frozen_clock(fleet, 30)
        async with LiveSimulator(sim, live_config(fleet, broker.port), clock=clock) as live:
            paths = write_configs(fleet, live, broker.port, c.server.url, c.tokens, tmp_path, tweak)
            log = tmp_path / "gateway.log"
            proc = _gateway_process(paths[GATEWAY], log)
            kills = 0
            try:
                await asyncio.to_thread(wait_port, health, proc, 30)
                await asyncio.sleep(1.0)  # subscribed with its persistent session
                first = int((time.time() - 3600) * 1000)
                sensor = Sensor(broker.port, first)
                publishing = asyncio.create_task(asyncio.to_thread(sensor.run, 200, 30))
                for _ in range(5):
                    await asyncio.sleep(1.2)
                    proc.send_signal(signal.SIGKILL)
                    await asyncio.to_thread(proc.wait, 10)
                    kills += 1
                    await asyncio.sleep(0.3)  # the broker queues for the absent session
                    proc = _gateway_process(paths[GATEWAY], log)
                    await asyncio.to_thread(wait_port, health, proc, 30)
                sensor.stop.set()
                await publishing
                acked = set(sensor.acked)
                await until(
                    lambda: acked <= _stored_ts(c, sim, "vibration_rms"), 30, "every reading"
                )
                proc.send_signal(signal.SIGTERM)
                assert await asyncio.to_thread(proc.wait, 30) == 0
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(10)
        stored = _stored_ts(c, sim, "vibration_rms")
    assert kills == 5 and len(acked) > 1000
    assert acked <= stored, f"{len(acked - stored)} acknowledged readings never stored"
    assert stored & set(range(first, first + 10**6)) == acked  # and nothing else


async def test_a_full_disk_keeps_the_gateway_up_counting_what_it_could_not_keep(
    broker: Mosquitto, tmp_path: Path, small_disk: Path
) -> None:
    fleet = campus()
    cfg_live = live_config(fleet, broker.port).model_copy(update={"speed": 60.0, "tick_s": 0.05})

    def on_small_disk(doc: dict) -> None:  # type: ignore[type-arg]
        doc["spool"]["path"] = str(small_disk / "spool.db")
        doc["uplink"]["batch_max"] = 500

    with cloud(tmp_path, [GATEWAY, "north-science"]) as c:
        async with LiveSimulator(Simulation(fleet), cfg_live) as live:
            sim = asyncio.create_task(live.run())
            paths = write_configs(
                fleet, live, broker.port, c.server.url, c.tokens, tmp_path, on_small_disk
            )
            async with running(paths[GATEWAY]) as gw:
                await until(lambda: gw.metrics.sent._value.get() > 100, 15, "first batches")
                c.server.stop()  # the cloud is away too: everything must go to the spool
                filler = await asyncio.to_thread(fill, small_disk)
                dropped = gw.metrics.dropped.labels("spool_unwritable")
                await until(lambda: dropped._value.get() > 0, 20, "readings dropped, counted")
                assert gw.status()["ok"] is False and gw.status()["spool"]["writable"] is False
                assert gw.metrics.spool_writable._value.get() == 0
            # a restart while the disk is still full starts and carries on
            async with running(paths[GATEWAY]) as gw:
                await asyncio.sleep(2.0)
                assert not gw.finished.is_set()
                filler.unlink()
                await until(lambda: gw.guard.error is None, 20, "the spool writable again")
                with cloud(tmp_path, [], port=c.server.port):
                    await until(lambda: gw.spool.depth < 100, 30, "the backlog delivered")
                    sim.cancel()
                    gw.stop()  # while the cloud is up: the final flush delivers the rest
                    await asyncio.sleep(0)
                    await until(gw.finished.is_set, 30, "the final flush and stop")
    from tests.integration.test_gateway_faults import assert_exactly_once

    assert_exactly_once(c, small_disk / "spool.db")
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from cloud.db import make_engine
    from cloud.tables import AlarmEventRow

    with Session(make_engine(f"sqlite:///{tmp_path}/pw.db")) as s:
        states = [
            a.state
            for a in s.scalars(select(AlarmEventRow).order_by(AlarmEventRow.id))
            if a.rule == "gateway-spool-unwritable"
        ]
    assert states == ["raised", "cleared"]


async def test_a_spool_replaced_by_an_old_copy_or_deleted_loses_nothing(
    broker: Mosquitto, tmp_path: Path
) -> None:
    fleet = campus()
    sim = Simulation(fleet)
    cfg_live = live_config(fleet, broker.port).model_copy(update={"speed": 60.0, "tick_s": 0.05})

    def modbus_only(doc: dict) -> None:  # type: ignore[type-arg]
        _no_deadband(doc)
        doc["mqtt"] = []  # so every reading is polled once: stored points must equal spooled

    spooled = 0
    with cloud(tmp_path, [GATEWAY, "north-science"]) as c:
        async with LiveSimulator(sim, cfg_live) as live:
            task = asyncio.create_task(live.run())
            paths = write_configs(
                fleet, live, broker.port, c.server.url, c.tokens, tmp_path, modbus_only
            )
            spool = paths[GATEWAY].parent / f"{GATEWAY}.spool.db"
            copy = tmp_path / "old-copy.db"

            async def one_run(what: str) -> int:
                async with running(paths[GATEWAY]) as gw:
                    await until(lambda: gw.metrics.sent._value.get() > 300, 20, what)
                    assert gw.spool.letters.listed() == []
                assert gw.spool.depth == 0  # flushed on stop
                return int(gw.metrics.spooled._value.get())

            spooled += await one_run("first batches")
            shutil.copy(spool, copy)  # a backup of the spool, its outbox empty
            spooled += await one_run("batches past the copy")
            spooled += await one_run("more batches past the copy")
            shutil.copy(copy, spool)  # restored: its next batch ids are ones the cloud holds
            async with running(paths[GATEWAY]) as gw:
                await until(lambda: gw.metrics.sent._value.get() > 300, 20, "after the restore")
                reincarnations = gw.spool.counters().get("reincarnations", 0)
            assert gw.spool.depth == 0
            spooled += int(gw.metrics.spooled._value.get())
            spool.unlink()  # deleted: a new file numbers its readings from 1 again
            spooled += await one_run("after the delete")
            task.cancel()
        start = datetime(2000, 1, 1, tzinfo=UTC)
        assets = [a for a in sim.assets if a.building == "library"]
        tags = [SeriesTags(a.asset_class, a.site.id, a.building, a.room, a.id) for a in assets]
        stored = len(c.store().window(tags, None, start, start + timedelta(days=50_000)))
        recorded = sum(n for _, n, _, _ in c.stored_batches(GATEWAY))
    # Every spooled reading is in exactly one batch the cloud stored: none lost, none twice.
    assert spooled > 1500 and recorded == spooled, f"{spooled - recorded} readings lost"
    # ...and the store holds each once (a device polled twice before it took a new sample
    # reports that sample once, so no two spooled readings share a series and an instant).
    assert stored == spooled, f"{spooled - stored} readings not in the store"
    assert reincarnations >= 1  # the restored file's batch ids were the cloud's: new ones
