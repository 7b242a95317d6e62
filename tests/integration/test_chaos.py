"""Loss and duplication under every fault at once.

Simulator -> Mosquitto -> gateway process -> recording proxy -> cloud process, while a
schedule kills the gateway (once during an upload), stops and kills the cloud, restarts the
broker, silences a Modbus unit, fills and frees the spool's disk and restores the spool from
an old copy. What the cloud stored is then held against three ground truths:

- the spool's sequence numbers: per spool incarnation, stored batches cover them once each;
- every reading the gateway posted (the proxy's record): all stored, nothing else stored;
- an independent QoS 1 subscriber: every JSON reading the broker accepted is stored, except
  readings the gateway dropped, counted, while its disk was full (the explicit policy).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt

from cloud.storage.base import SeriesTags
from kernel.aio import within
from simulators.engine import Simulation
from simulators.live import LiveSimulator
from tests.integration.conftest import fill
from tests.integration.gateway_stack import Cloud, campus, cloud, live_config, write_configs
from tests.integration.recording_proxy import Key, RecordingProxy
from tests.integration.test_gateway_faults import _gateway_process
from tests.servers import Mosquitto, free_port, wait_port

GATEWAY = "north-library"
DROPPED = re.compile(r'plantwatch_gateway_readings_dropped_total\{reason="(\w+)"\} (\S+)')


class Subscriber:
    """An independent QoS 1 subscriber with a persistent session: what the broker accepted."""

    def __init__(self, port: int, assets: set[str]) -> None:
        self.assets = assets
        self.received: dict[Key, float] = {}  # reading -> wall time it arrived here
        self._lock = threading.Lock()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id="pw-test-witness", clean_session=False
        )
        self.client.on_connect = lambda c, *_: c.subscribe("#", qos=1)
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(0.2, 1)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        parts = msg.topic.split("/")
        if len(parts) != 5 or parts[3] not in self.assets or parts[4] != "telemetry":
            return  # plain sensors are stamped on arrival at the gateway: no shared key
        body = json.loads(msg.payload)
        ts = round(datetime.fromisoformat(body.pop("ts")).timestamp() * 1000)
        now = time.time()
        with self._lock:
            for signal_name in body:
                self.received.setdefault((parts[3], signal_name, ts), now)

    def close(self) -> None:
        """Disconnect."""
        self.client.loop_stop()
        self.client.disconnect()


class Switch:
    """A cloud that can be started, stopped and killed on one port."""

    def __init__(self, root: Path) -> None:
        self.root, self.port = root, free_port()
        self._stack = contextlib.ExitStack()
        self.current: Cloud = self._stack.enter_context(
            cloud(root, [GATEWAY, "north-science"], self.port)
        )
        self.tokens = self.current.tokens

    def start(self) -> None:
        """Start it again on its port."""
        self.current = self._stack.enter_context(cloud(self.root, [], self.port))

    def stop(self, kill: bool = False) -> None:
        """SIGTERM (or SIGKILL) it."""
        proc = self.current.server.proc
        proc.kill() if kill else proc.terminate()
        proc.wait(30)  # a graceful stop finishes the requests in flight, slow on a busy machine

    def close(self) -> None:
        """Stop whatever still runs."""
        self._stack.close()


class GatewayProcess:
    """The gateway daemon as an operating system would run it, with its health endpoint."""

    def __init__(self, config: Path, health: int, log: Path) -> None:
        self.config, self.health, self.log = config, health, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0

    async def start(self) -> None:
        """Start and wait for its health endpoint."""
        self.proc = _gateway_process(self.config, self.log)
        await asyncio.to_thread(wait_port, self.health, self.proc, 30)

    async def kill(self) -> None:
        """SIGKILL."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(self.proc.wait, 10)
        self.kills += 1

    async def stop(self) -> int:
        """SIGTERM; its exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return await asyncio.to_thread(self.proc.wait, 60)

    def log_tail(self, lines: int = 40) -> str:
        """The end of its log (it is appended to across restarts), for a failed assertion."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    async def status(self) -> dict:  # type: ignore[type-arg]
        """Its /healthz."""
        async with httpx.AsyncClient() as h:
            return (await h.get(f"http://127.0.0.1:{self.health}/healthz")).json()  # type: ignore[no-any-return]

    async def dropped(self) -> dict[str, float]:
        """Its dropped-readings counters by reason."""
        async with httpx.AsyncClient() as h:
            text = (await h.get(f"http://127.0.0.1:{self.health}/metrics")).text
        return {reason: float(n) for reason, n in DROPPED.findall(text)}

    async def wait_until(self, check: str, timeout_s: float) -> dict:  # type: ignore[type-arg]
        """Poll /healthz until ``check`` (an expression over ``s``) holds."""
        deadline = time.monotonic() + timeout_s
        while True:
            with contextlib.suppress(httpx.HTTPError):
                s = await self.status()
                if eval(check, {}, {"s": s}):
                    return s
            if time.monotonic() > deadline:
                raise AssertionError(f"gateway: {check} not true within {timeout_s} s")
            await asyncio.sleep(0.2)

    def ensure_dead(self) -> None:
        """Never leave a gateway behind a failed test."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def spool_depth(path: Path) -> int:
    """Readings waiting in a (closed) spool file."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        return int(db.execute("SELECT COALESCE(SUM(n), 0) FROM chunks").fetchone()[0])


def stored_readings(c: Cloud, sim: Simulation) -> dict[Key, float | None]:
    """Everything the cloud stored for the gateway's assets."""
    assets = [a for a in sim.assets if a.building == "library"]
    tags = [SeriesTags(a.asset_class, a.site.id, a.building, a.room, a.id) for a in assets]
    far = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
    return {
        (s.asset, s.signal, round(s.ts.timestamp() * 1000)): s.value
        for s in c.store().window(tags, None, *far)
    }


def seq_ranges_by_incarnation(c: Cloud) -> Iterator[tuple[str, list[tuple[int, int, int]]]]:
    """(incarnation, sorted (first, last, readings) of its stored batches)."""
    by_inc: dict[str, list[tuple[int, int, int]]] = {}
    for batch_id, readings, first, last in c.stored_batches(GATEWAY):
        assert first is not None and last is not None
        by_inc.setdefault(batch_id.split("-")[0], []).append((first, last, readings))
    for inc, ranges in by_inc.items():
        yield inc, sorted(ranges)


async def test_nothing_lost_nothing_doubled_under_every_fault(
    broker: Mosquitto,
    tmp_path: Path,
    small_disk: Path,
) -> None:
    fleet = campus()
    sim = Simulation(fleet)
    library = {a.id for a in sim.assets if a.building == "library"}
    health = free_port()
    spool = small_disk / f"{GATEWAY}.spool.db"
    copy = tmp_path / "spool-backup.db"
    cfg_live = live_config(fleet, broker.port).model_copy(update={"speed": 20.0, "tick_s": 0.05})
    clouds = Switch(tmp_path)
    witness = Subscriber(broker.port, library)
    drops: dict[str, float] = {}
    fill_window = (0.0, 0.0)
    try:
        async with (
            RecordingProxy(clouds.port) as proxy,
            LiveSimulator(sim, cfg_live) as live,
        ):

            def tweak(doc: dict) -> None:  # type: ignore[type-arg]
                doc["stages"] = ["validate", "anomaly", "local_alarm"]  # every reading goes up
                doc["uplink"]["batch_max"] = 500
                doc["health"]["port"] = health
                doc["spool"]["path"] = str(spool)

            paths = write_configs(
                fleet, live, broker.port, proxy.url, clouds.tokens, tmp_path, tweak
            )
            others = [p for g, p in paths.items() if g != GATEWAY]
            for p in others:
                p.unlink()
            gw = GatewayProcess(paths[GATEWAY], health, tmp_path / "gateway.log")
            sim_task: asyncio.Task[None] | None = None
            try:
                await gw.start()
                await gw.wait_until("s['uplink']['last_ok'] and s['mqtt'][0]['connected']", 20)
                await asyncio.sleep(0.5)  # subscribed: from here the broker keeps its messages
                sim_task = asyncio.create_task(live.run())
                await asyncio.sleep(2.0)
                # 1. a clean stop with the cloud up flushes; keep that spool as a backup
                assert await gw.stop() == 0
                assert spool_depth(spool) == 0, gw.log_tail()
                shutil.copy(spool, copy)
                await gw.start()
                await asyncio.sleep(2.0)
                # 2. SIGKILL mid-stream, and again while an upload is with the cloud
                await gw.kill()
                await gw.start()
                await asyncio.sleep(1.5)
                proxy.hold_next_upload()
                await within(proxy.arrived.wait(), 20)
                await gw.kill()
                proxy.release.set()  # the cloud stores a batch the gateway never hears of
                await asyncio.sleep(0.5)
                await gw.start()
                await asyncio.sleep(1.5)
                # 3. the cloud stopped, then killed, while the gateway spools
                clouds.stop()
                await asyncio.sleep(2.0)
                await gw.kill()  # a backlog in the spool, and the gateway dies too
                await gw.start()
                await asyncio.sleep(1.0)
                clouds.start()
                await asyncio.sleep(2.0)
                clouds.stop(kill=True)
                await asyncio.sleep(1.5)
                clouds.start()
                # 4. the broker restarts; a Modbus unit falls silent and comes back
                await asyncio.to_thread(broker.stop)
                await asyncio.sleep(1.0)
                await asyncio.to_thread(broker.start)
                silent = next(iter(sorted(library)))
                live.set_offline(silent, True)
                await asyncio.sleep(3.0)
                live.set_offline(silent, False)
                # 5. the spool's disk fills up while the cloud is away, then space returns
                await gw.wait_until("s['spool']['depth'] < 2000", 30)
                clouds.stop()  # the backlog must grow into the spool's file
                started = time.time()
                filler = await asyncio.to_thread(fill, small_disk)
                await gw.wait_until("not s['spool']['writable']", 40)
                await asyncio.sleep(2.0)
                filler.unlink()
                await gw.wait_until("s['spool']['writable']", 20)
                fill_window = (started, time.time())
                drops = await gw.dropped()
                clouds.start()
                # 6. the spool is restored from the old backup (the gateway stopped cleanly)
                await gw.wait_until("s['spool']['depth'] < 500", 30)
                assert await gw.stop() == 0
                assert spool_depth(spool) == 0, gw.log_tail()
                shutil.copy(copy, spool)
                await gw.start()
                await asyncio.sleep(3.0)
                # then the sensors stop; everything drains
                sim_task.cancel()
                await asyncio.sleep(1.0)
                await gw.wait_until("s['spool']['depth'] == 0", 60)
                final = await gw.status()
                assert await gw.stop() == 0
            finally:
                if sim_task is not None:
                    sim_task.cancel()
                gw.ensure_dead()
        await asyncio.sleep(1.0)  # the witness's last deliveries
        stored = stored_readings(clouds.current, sim)
        ranges = dict(seq_ranges_by_incarnation(clouds.current))
    finally:
        witness.close()
        clouds.close()

    # Ground truth 1: the spool's sequence numbers, once each, per incarnation.
    assert len(ranges) >= 2, "the restored backup drew a new incarnation"
    assert final["spool"]["counters"].get("reincarnations", 0) >= 1
    spooled = 0
    for inc, batches in ranges.items():
        expected = batches[0][0]
        for first, last, n in batches:
            assert first == expected, f"{inc}: gap or overlap at seq {expected} ({first}-{last})"
            assert n == last - first + 1
            expected = last + 1
        spooled += expected - batches[0][0]
    assert min(b[0][0] for b in ranges.values()) == 1

    # Ground truth 2: every reading the gateway posted is stored, and nothing else.
    # A Modbus reading is stamped with the device clock's whole second: two polls in one
    # second (a restarted gateway polls at once) share a key, and the store keeps one of
    # their values.
    posted: dict[Key, set[float | None]] = {}
    for p in proxy.posted:
        assert p.answer.get("rejected", 0) == 0, p.answer
        for key, value in p.readings().items():
            posted.setdefault(key, set()).add(value)
    assert set(stored) == set(posted), (len(set(posted) - set(stored)), len(stored))
    assert all(stored[k] in values for k, values in posted.items())
    assert len(stored) <= spooled  # redelivered MQTT copies share a key: stored once

    # Ground truth 3: what the broker accepted, except what was dropped by the disk policy.
    accepted = dict(witness.received)
    missing = {k: t for k, t in accepted.items() if k not in stored}
    lo, hi = fill_window
    outside = [k for k, t in missing.items() if not lo - 1.0 <= t <= hi + 1.0]
    assert outside == [], f"{len(outside)} accepted readings lost outside the full-disk window"
    assert len(missing) <= drops.get("spool_unwritable", 0.0)
    assert set(drops) <= {"spool_unwritable"}, drops  # no other policy dropped anything
    assert any(p.answer.get("duplicate") for p in proxy.posted), "the held upload was resent"
    assert any(k[:2] == (silent, "device_online") and v == 0.0 for k, v in stored.items())
    print(
        f"chaos: {gw.kills} kills, {len(ranges)} spool incarnations, {spooled} spooled, "
        f"{len(proxy.posted)} posts, {len(posted)} posted readings, {len(stored)} stored, "
        f"{len(accepted)} JSON readings the broker accepted, {len(missing)} of them dropped "
        f"while the disk was full (counted: {drops})"
    )
    assert len(accepted) > 1000 and len(stored) > 5000 and gw.kills == 3
