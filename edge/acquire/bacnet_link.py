"""One scheduler per BACnet/IP network: devices polled by ReadPropertyMultiple or followed by
change-of-value subscriptions; a device that stops answering is quarantined with backoff."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bacpypes3.app import Application

from edge.acquire import bacnet_client as client
from edge.acquire.bacnet_cov import CovSubscriptions, CovUnsupported
from edge.acquire.bacnet_device import BacnetDevice
from edge.acquire.bacnet_plan import (
    DeviceLimits,
    objects_per_request,
    plan_batches,
    present_value,
    status_quality,
)
from edge.acquire.schedule import after_failure, next_slot
from edge.bacnet_config import BacnetNetwork
from edge.manifest import DEVICE_ONLINE
from edge.metrics import EdgeMetrics
from kernel.aio import wait_set
from kernel.bacnet_profiles import BacnetPoint, BacnetProfile
from kernel.contract import Quality, Reading

log = logging.getLogger("plantwatch.edge.bacnet")
Emit = Callable[[list[Reading]], None]
PROPERTIES = ("present-value", "status-flags")
MAX_IN_FLIGHT = 8  # devices read at once on one network (a dead one holds only its own slot)


class BacnetLink:
    """Reads every device of one BACnet/IP network through one local application."""

    def __init__(
        self,
        net: BacnetNetwork,
        profiles: dict[str, BacnetProfile],
        emit: Emit,
        metrics: EdgeMetrics,
        room: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.net, self.emit, self.metrics, self.room = net, emit, metrics, room
        now = time.monotonic()
        self.devices = [
            BacnetDevice(
                cfg=d,
                profile=profiles[d.profile],
                next_due=now + d.phase_s,
                read_multiple=d.read_multiple == "auto",
            )
            for d in net.devices
        ]
        self.app: Application | None = None
        self._wake = asyncio.Event()
        requests = metrics.bacnet_requests
        self._sent = {
            service: requests.labels(net.name, service)
            for service in ("who-is", "rpm", "rp", "subscribe-cov")
        }

    async def run(self) -> None:
        """Poll forever: each device when it is due, at most MAX_IN_FLIGHT at once."""
        self.app = client.build_application(self.net)
        polls: set[asyncio.Task[None]] = set()
        try:
            while True:
                idle = [d for d in self.devices if not d.busy]
                if not idle:
                    await asyncio.wait(polls, return_when=asyncio.FIRST_COMPLETED)
                    continue
                dev = min(idle, key=lambda d: d.next_due)
                delay = dev.next_due - time.monotonic()
                if delay > 0:
                    self._wake.clear()  # a finished poll may make another device the next one
                    await wait_set(self._wake, delay)
                    continue
                if len(polls) >= MAX_IN_FLIGHT:
                    await asyncio.wait(polls, return_when=asyncio.FIRST_COMPLETED)
                    continue
                if self.room is not None:
                    await self.room()
                dev.busy = True
                task = asyncio.create_task(self._poll_task(dev))
                polls.add(task)
                task.add_done_callback(polls.discard)
        finally:
            for task in polls:
                task.cancel()
            await asyncio.gather(*polls, return_exceptions=True)
            for dev in self.devices:
                if dev.cov is not None:
                    await dev.cov.stop(graceful=True)
            await client.close(self.app)

    async def _poll_task(self, dev: BacnetDevice) -> None:
        try:
            await self.poll(dev)
        finally:
            dev.busy = False
            self._wake.set()

    async def poll(self, dev: BacnetDevice) -> None:
        """Read one device once (finding it first if need be), emit, and schedule it again."""
        assert self.app is not None
        started = time.monotonic()
        try:
            if dev.address is None:
                await self._find(dev)
            readings = await self._read(dev)
        except client.Unavailable as exc:
            await self._failed(dev, started, str(exc))
            return
        dev.failures, dev.backoff_s, dev.polls = 0, 0.0, dev.polls + 1
        if dev.online is not True:
            log.info("%s (device %d at %s) online", dev.cfg.asset, dev.cfg.instance, dev.address)
            ts = readings[0].ts_ms if readings else int(time.time() * 1000)
            readings.append(Reading(dev.cfg.asset, DEVICE_ONLINE, ts, 1.0))
        dev.online = True
        self.metrics.device_online.labels(dev.cfg.asset).set(1)
        self.metrics.polled.inc(len(readings))
        self.metrics.poll_seconds.labels(self.net.name).observe(time.monotonic() - started)
        self.emit(readings)
        await self._follow(dev)
        interval = dev.cfg.cov_verify_s if dev.cov is not None else dev.cfg.interval_s
        dev.next_due = next_slot(dev.next_due, interval, time.monotonic())

    async def _find(self, dev: BacnetDevice) -> None:
        assert self.app is not None
        self._sent["who-is"].inc()
        found = await client.who_is(
            self.app,
            dev.cfg.instance,
            dev.cfg.instance,
            dev.cfg.address,
            self.net.discover_timeout_s,
        )
        if not found and dev.cfg.address is None:
            raise client.Unavailable(f"no I-Am from device {dev.cfg.instance}")
        # A device at a configured address that ignores Who-Is is read with safe limits.
        dev.address = found[0].address if found else dev.cfg.address
        limits = found[0].limits if found else DeviceLimits()
        dev.per_request = objects_per_request(limits, dev.cfg.max_objects_per_request)
        await self._check_units(dev)

    async def _check_units(self, dev: BacnetDevice) -> None:
        """Compare each analog object's units with the catalogue's; flag what differs."""
        analog = [p for p in dev.profile.objects if p.bacnet_units is not None]
        if not analog:
            return
        answers = await self._read_props(dev, analog, ("units",))
        units = {k: v.get("units") for k, v in answers.items()}
        for p in analog:
            got = units.get((p.object_type.value, p.instance))
            # EngineeringUnits is an enumeration (an int); anything else is an error answer.
            if isinstance(got, int) and str(got) != p.bacnet_units:
                dev.bad_units.add(p.name)
                self.metrics.device_errors.labels(dev.cfg.asset, "units").inc()
                log.error(
                    "%s: %s reports %s, the catalogue expects %s (%s); its readings are flagged",
                    dev.cfg.asset,
                    p.object,
                    got,
                    p.bacnet_units,
                    p.unit,
                )

    async def _read_props(
        self, dev: BacnetDevice, points: list[BacnetPoint], props: tuple[str, ...]
    ) -> dict[tuple[str, int], dict[str, Any]]:
        """Properties of many objects: ReadPropertyMultiple in batches, or one by one."""
        assert self.app is not None and dev.address is not None
        out: dict[tuple[str, int], dict[str, Any]] = {}
        batches = plan_batches(points, dev.per_request)
        while batches:
            batch = batches.pop(0)
            if dev.read_multiple:
                try:
                    self._sent["rpm"].inc()
                    out.update(await client.read_multiple(self.app, dev.address, batch, props))
                    continue
                except client.TooLong:
                    if len(batch) > 1:  # the device cannot send that much: ask for half
                        dev.per_request = max(1, len(batch) // 2)
                        batches[:0] = plan_batches(batch, dev.per_request)
                        continue
                except client.Refused as exc:
                    log.warning(
                        "%s: ReadPropertyMultiple refused (%s): one read per property",
                        dev.cfg.asset,
                        exc,
                    )
                    dev.read_multiple = False
            for p in batch:
                for prop in props:
                    self._sent["rp"].inc()
                    try:
                        value = await client.read_one(self.app, dev.address, p, prop)
                    except client.Refused as exc:
                        value = f"error: {exc}"
                    out.setdefault((p.object_type.value, p.instance), {})[prop] = value
        return out

    async def _read(self, dev: BacnetDevice) -> list[Reading]:
        ts_ms = int(time.time() * 1000)
        values = await self._read_props(dev, dev.profile.objects, PROPERTIES)
        out = []
        for p in dev.profile.objects:
            got = values.get((p.object_type.value, p.instance), {})
            value = present_value(got.get("present-value"))
            if p.signal is None:
                continue
            if value is None:
                self.metrics.device_errors.labels(dev.cfg.asset, "object").inc()
                log.warning("%s: %s gave %r", dev.cfg.asset, p.object, got.get("present-value"))
                out.append(Reading(dev.cfg.asset, p.signal, ts_ms, None, Quality.DECODE_ERROR))
                continue
            quality = status_quality(got.get("status-flags"))
            if p.name in dev.bad_units:
                quality |= Quality.DECODE_ERROR
            out.append(Reading(dev.cfg.asset, p.signal, ts_ms, value, int(quality)))
        return out

    async def _follow(self, dev: BacnetDevice) -> None:
        """Subscribe to changes of value where configured and accepted; again if lapsed."""
        if not dev.cfg.cov or dev.cov_refused:
            return
        if dev.cov is not None and not dev.cov.lapsed:
            return
        if dev.cov is not None:
            log.info("%s: a subscription lapsed; subscribing again", dev.cfg.asset)
            await dev.cov.stop()
        assert self.app is not None and dev.address is not None
        dev.cov = CovSubscriptions(
            self.app,
            dev.address,
            dev.cfg.asset,
            list(dev.profile.objects),
            dev.cfg.cov_lifetime_s,
            self.emit,
            lambda: self.metrics.cov_notifications.labels(self.net.name).inc(),
            dev.bad_units,
        )
        self._sent["subscribe-cov"].inc(len(dev.cov.points))
        try:
            await dev.cov.start()
        except (CovUnsupported, client.Unavailable) as exc:
            log.warning("%s: no change-of-value subscriptions (%s); polling", dev.cfg.asset, exc)
            dev.cov, dev.cov_refused = None, True

    async def _failed(self, dev: BacnetDevice, started: float, why: str) -> None:
        dev.failures += 1
        self.metrics.device_errors.labels(dev.cfg.asset, "unavailable").inc()
        if dev.online is not False:
            log.warning("%s (device %d) unavailable: %s", dev.cfg.asset, dev.cfg.instance, why)
            self.emit([Reading(dev.cfg.asset, DEVICE_ONLINE, int(time.time() * 1000), 0.0)])
        dev.online = False
        self.metrics.device_online.labels(dev.cfg.asset).set(0)
        if dev.cov is not None:  # subscribe afresh once it answers again
            await dev.cov.stop()
            dev.cov = None
        if dev.cfg.address is None:
            dev.address = None  # it may come back elsewhere: ask Who-Is again
        dev.next_due, dev.backoff_s = after_failure(
            dev.failures,
            self.net.quarantine_after,
            self.net.backoff_max_s,
            dev.cfg.interval_s,
            dev.backoff_s,
            dev.next_due,
            started,
        )

    def status(self) -> list[dict[str, object]]:
        """Per-device status for the health endpoint."""
        return [d.status(self.net.name) for d in self.devices]
