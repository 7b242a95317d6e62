"""The gateway daemon: acquisition -> stages -> spool -> uplink, reloadable and stoppable."""

from __future__ import annotations

import asyncio
import logging
import signal
import sqlite3
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from edge.acquire.bacnet_link import BacnetLink
from edge.acquire.modbus_poller import LinkSet
from edge.acquire.mqtt_listener import MqttListener
from edge.admission import Admission
from edge.config import LoadedConfig, load_config
from edge.forward.spool import Spool
from edge.forward.spool_guard import SpoolGuard
from edge.forward.uplink import Uplink
from edge.health import serve_health
from edge.manifest import build_manifest
from edge.metrics import EdgeMetrics
from edge.sources import Sources
from edge.stages import Stage, build_stages, run_stages
from edge.stages.local_alarm import LocalAlarm
from edge.tasks import NamedTasks
from kernel.aio import wait_set
from kernel.contract import AlarmEvent, Reading
from kernel.yaml_config import ConfigError

log = logging.getLogger("plantwatch.edge")
FLUSH_ON_STOP_S = 10.0
MAX_INBOX = 20_000  # readings waiting for the stages before acquisition pauses
CHUNK = 5_000  # readings through the stages between yields to the event loop
# Messages awaiting acknowledgement that end the group-commit wait: well inside a broker's
# window of unacknowledged QoS 1 messages per client (Mosquitto's default is 20).
ACK_WINDOW = 10


class Gateway:
    """One running gateway; ``run`` until ``stop``; ``reload`` applies a changed config."""

    def __init__(self, cfg: LoadedConfig, metrics: EdgeMetrics | None = None) -> None:
        self.cfg = cfg
        self.metrics = metrics or EdgeMetrics()
        sp = cfg.gateway.spool
        self.spool = Spool(
            sp.path, cfg.gateway.id, sp.max_readings, sp.max_age_days, sp.overflow, sp.synchronous
        )
        self.stages: list[Stage] = build_stages(cfg, self.metrics)
        self.admission = Admission.of(build_manifest(cfg))
        self.uplink = Uplink(
            cfg.gateway.uplink,
            cfg.gateway.id,
            self.spool,
            lambda: build_manifest(self.cfg),
            self.metrics,
        )
        self.tasks = NamedTasks()
        self.sources = Sources(self.tasks, self.emit, self.metrics, self.room)
        self.guard = SpoolGuard(self.spool, cfg.gateway.id, self.metrics)
        self._inbox: list[Reading] = []
        # Where each acknowledgement waits in the stream of emitted readings: a broker's
        # message is acknowledged once its readings went through the spool, not before.
        self._emitted = self._processed = 0
        self._acks: deque[tuple[int, Callable[[], None]]] = deque()
        self._arrived = asyncio.Event()
        self._full = asyncio.Event()  # a chunk's worth waits: no reason to linger
        self._room = asyncio.Event()
        self._room.set()
        self._stop = asyncio.Event()
        self.finished = asyncio.Event()  # set once run() has flushed and closed the spool
        self.health_port: int | None = None
        self.started = time.time()

    # acquisition hands readings over here; the pipeline task takes them in bulk
    def emit(self, readings: list[Reading], done: Callable[[], None] | None = None) -> None:
        """Queue readings for the stages (called by pollers and listeners); ``done`` runs
        once they have been through the spool."""
        self._inbox.extend(readings)
        self._emitted += len(readings)
        if done is not None:
            self._acks.append((self._emitted, done))
            if len(self._acks) >= ACK_WINDOW:
                self._full.set()  # the broker holds back more until these are acknowledged
        self._arrived.set()
        if len(self._inbox) >= CHUNK:
            self._full.set()
        if len(self._inbox) >= MAX_INBOX:
            self._room.clear()

    async def room(self) -> None:
        """Wait while the stages are behind (backpressure on pollers: nothing is dropped)."""
        await self._room.wait()

    async def process(self) -> int:
        """Run what has arrived through the stages into the spool; returns readings spooled."""
        stored = 0
        while self._inbox:
            chunk, self._inbox = self._inbox[:CHUNK], self._inbox[CHUNK:]
            stored += await self._process(chunk)
            self._processed += len(chunk)
            while self._acks and self._acks[0][0] <= self._processed:
                self._acks.popleft()[1]()
            if len(self._inbox) < MAX_INBOX // 2:
                self._room.set()
            await asyncio.sleep(0)  # let pollers and the uplink run between chunks
        self._arrived.clear()
        self._full.clear()
        self._room.set()
        return stored

    async def _process(self, readings: list[Reading]) -> int:
        readings, refused = self.admission.apply(readings, int(time.time() * 1000))
        for reason, n in refused.items():
            self.metrics.refused.labels(reason).inc(n)
        if refused:
            log.warning("dropped readings the cloud would refuse: %s", dict(refused))
        out = run_stages(self.stages, readings)
        events: list[AlarmEvent] = []
        for stage in self.stages:
            if isinstance(stage, LocalAlarm) and stage.events:
                events, stage.events = stage.events, []
        stored = await self.guard.append(out, events)
        if events:
            self.uplink.wake.set()  # alarms go out ahead of the next telemetry batch
        return stored

    async def _pipeline(self) -> None:
        linger = self.cfg.gateway.spool.commit_every_s
        while True:
            await self._arrived.wait()
            if linger and len(self._inbox) < CHUNK:
                # Group commit: one transaction (and one disk sync) for the polls of a moment.
                await wait_set(self._full, linger)
            await self.process()

    async def _housekeeping(self) -> None:
        while True:
            try:
                dropped = await self.spool.run(self.spool.expire)
            except sqlite3.Error as exc:  # a full disk: SpoolGuard reports it; try again later
                log.debug("spool housekeeping failed: %s", exc)
                dropped = 0
            if dropped:
                self.metrics.dropped.labels("age").inc(dropped)
            self.metrics.spool_depth.set(self.spool.depth)
            self.metrics.spool_oldest.set(await self.spool.run(self.spool.oldest_age_s))
            await asyncio.sleep(5)

    def status(self) -> dict[str, Any]:
        """What /healthz reports."""
        return {
            "ok": self.guard.error is None,
            "gateway": self.cfg.gateway.id,
            "uptime_s": round(time.time() - self.started, 1),
            "spool": {
                "depth": self.spool.depth,
                "writable": self.guard.error is None,
                "error": self.guard.error,
                "counters": self.spool.counters(),
            },
            "uplink": {"last_ok": self.uplink.last_ok, "last_error": self.uplink.last_error},
            **self.sources.status(),
        }

    async def reload(self, path: Path | None = None) -> bool:
        """Validate the config file again and apply only what changed; keep the old on error."""
        try:
            new = await asyncio.to_thread(load_config, path or self.cfg.path)
        except (ConfigError, OSError, ValueError) as exc:
            self.metrics.reloads.labels("rejected").inc()
            log.error("reload refused, keeping the running config:\n%s", exc)
            return False
        old, self.cfg = self.cfg, new
        o, n = old.gateway, new.gateway
        if o.id != n.id or o.spool != n.spool:
            log.warning("gateway id and spool settings apply at the next restart")
        sources_changed = (o.links, o.mqtt, o.bacnet) != (n.links, n.mqtt, n.bacnet) or (
            old.profiles,
            old.bacnet_profiles,
        ) != (new.profiles, new.bacnet_profiles)
        if sources_changed:
            await self.sources.stop_changed(old, new)
        # What arrived was read under the old config: it goes through under the old rules
        # (a removed device's last readings are still admitted).
        await self.process()
        if (o.stages, o.validate_, o.anomaly, o.report, o.alarms) != (
            n.stages,
            n.validate_,
            n.anomaly,
            n.report,
            n.alarms,
        ) or o.assets != n.assets:
            self.stages = build_stages(new, self.metrics)
        if build_manifest(old).model_dump(exclude={"generated_at"}) != build_manifest(
            new
        ).model_dump(exclude={"generated_at"}):
            self.uplink.manifest_changed(self.spool.last_seq())
            self.admission = Admission.of(build_manifest(new))
        if sources_changed:
            self.sources.start_missing(new)
        if o.uplink != n.uplink:
            await self.tasks.stop("uplink")
            self.uplink = Uplink(
                n.uplink, n.id, self.spool, lambda: build_manifest(self.cfg), self.metrics
            )
            self.tasks.start("uplink", self.uplink.run())
        self.metrics.reloads.labels("applied").inc()
        log.info("config reloaded from %s", new.path)
        return True

    @property
    def links(self) -> LinkSet:
        """The Modbus links."""
        return self.sources.links

    @property
    def listeners(self) -> list[MqttListener]:
        """The MQTT listeners."""
        return self.sources.listeners

    @property
    def bacnet(self) -> list[BacnetLink]:
        """The BACnet networks."""
        return self.sources.bacnet

    def stop(self) -> None:
        """Ask the daemon to stop gracefully."""
        self._stop.set()

    async def run(self, install_signals: bool = True) -> None:
        """Run until ``stop`` (or SIGTERM/SIGINT); SIGHUP reloads the config."""
        loop = asyncio.get_running_loop()
        if install_signals:
            loop.add_signal_handler(signal.SIGTERM, self.stop)
            loop.add_signal_handler(signal.SIGINT, self.stop)
            loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(self.reload()))
        h = self.cfg.gateway.health
        server = await serve_health(h.host, h.port, self.metrics.registry, self.status)
        self.health_port = server.sockets[0].getsockname()[1]
        log.info(
            "gateway %s running; health on %s:%d", self.cfg.gateway.id, h.host, self.health_port
        )
        try:
            async with asyncio.TaskGroup() as tg:
                self.tasks.group = tg
                self.sources.start_missing(self.cfg)
                self.tasks.start("pipeline", self._pipeline())
                self.tasks.start("uplink", self.uplink.run())
                self.tasks.start("housekeeping", self._housekeeping())
                await self._stop.wait()
                log.info("stopping: acquisition first, then spool what arrived, then flush")
                await self.process()  # acknowledged to the broker while still connected
                await self.sources.stop_all()
                await self.tasks.stop("pipeline")
                await self.process()
                await self.tasks.stop("uplink")
                await self.uplink.flush(FLUSH_ON_STOP_S)
                for name in self.tasks.names():
                    await self.tasks.stop(name)
        finally:
            server.close()
            self.spool.close()
            self.finished.set()
            if install_signals:
                for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                    loop.remove_signal_handler(sig)
        log.info("gateway %s stopped", self.cfg.gateway.id)
