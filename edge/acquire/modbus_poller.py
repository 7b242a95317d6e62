"""One serialized scheduler per physical Modbus link; failing devices are quarantined."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException

from edge.acquire.modbus_device import (
    Device,
    DeviceRefused,
    DeviceUnavailable,
)
from edge.acquire.plan import Plans, ReadRequest, decode_block
from edge.acquire.schedule import after_failure, next_slot
from edge.manifest import DEVICE_ONLINE
from edge.metrics import EdgeMetrics
from edge.modbus_config import RtuLink, TcpLink
from kernel.aio import wait_set
from kernel.contract import Quality, Reading
from kernel.profiles import DeviceProfile, Table
from kernel.register_codec import DecodeError

log = logging.getLogger("plantwatch.edge.modbus")
Emit = Callable[[list[Reading]], None]


def _words(rsp: Any, table: Table, count: int) -> list[int] | list[bool]:
    return list(rsp.bits[:count]) if table.is_bit else list(rsp.registers)


Client = AsyncModbusTcpClient | AsyncModbusSerialClient


class ModbusLink:
    """Polls every device of one link in turn, never two requests at once on the wire.

    On a TCP link, quarantined devices are probed on a second connection of their own, so a
    dead unit's timeouts never hold up its neighbours; a serial bus has one wire, and there
    the backoff alone bounds what a dead unit costs.
    """

    def __init__(
        self,
        link: TcpLink | RtuLink,
        profiles: dict[str, DeviceProfile],
        emit: Emit,
        metrics: EdgeMetrics,
        room: Callable[[], Awaitable[None]] | None = None,
        plans: Plans | None = None,
    ) -> None:
        self.link = link
        plans = plans or Plans()
        self.emit = emit
        self.room = room  # waits while the stages are behind
        self.metrics = metrics
        now = time.monotonic()
        self.devices = [
            Device(
                cfg=d,
                profile=profiles[d.profile],
                requests=plans.get(
                    profiles[d.profile],
                    d.max_registers_per_read,
                    d.gap_fill,
                    d.one_request_per_point,
                ),
                next_due=now + d.phase_s,
            )
            for d in link.devices
        ]
        self.client: Client = self._client()
        self.probe_client: Client | None = None
        if isinstance(link, TcpLink) and link.probe_connection:
            self.probe_client = self._client()
        self._probe_lock = asyncio.Lock()
        self._probes: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()

    def _client(self) -> Client:
        link = self.link
        if isinstance(link, TcpLink):
            return AsyncModbusTcpClient(
                link.host, port=link.port, timeout=link.timeout_s, retries=0, reconnect_delay=0
            )
        return AsyncModbusSerialClient(
            link.port,
            baudrate=link.baudrate,
            parity=link.parity,
            stopbits=link.stopbits,
            bytesize=link.bytesize,
            timeout=link.timeout_s,
            retries=0,
            reconnect_delay=0,
        )

    async def run(self) -> None:
        """Poll forever: always the device that is due first."""
        try:
            while True:
                _reraise_cancellation()
                waiting = [d for d in self.devices if not d.probing]
                if not waiting:
                    await self._wake.wait()
                    self._wake.clear()
                    continue
                dev = min(waiting, key=lambda d: d.next_due)
                delay = dev.next_due - time.monotonic()
                if delay > 0:
                    self._wake.clear()
                    await wait_set(self._wake, delay)
                    continue  # choose again: a probe may have brought a device back
                if self.room is not None:
                    await self.room()
                if dev.backoff_s and self.probe_client is not None:
                    dev.probing = True
                    task = asyncio.create_task(self._probe(dev, self.probe_client))
                    self._probes.add(task)
                    task.add_done_callback(self._probes.discard)
                    continue
                await self.poll(dev)
        finally:
            for task in list(self._probes):
                task.cancel()
            self.client.close()
            if self.probe_client is not None:
                self.probe_client.close()

    async def _probe(self, dev: Device, client: Client) -> None:
        """Poll a quarantined device on the probe connection, one probe at a time."""
        try:
            async with self._probe_lock:
                await self.poll(dev, client)
                if not any(d.backoff_s for d in self.devices):
                    client.close()  # nobody left to probe: hold one connection, not two
        finally:
            dev.probing = False
            self._wake.set()

    async def poll(self, dev: Device, client: Client | None = None) -> None:
        """Poll one device once, emit its readings, and schedule its next poll."""
        started = time.monotonic()
        try:
            readings = await self._read_device(dev, client or self.client)
        except DeviceUnavailable as exc:
            self._failed(dev, started, str(exc))
            return
        dev.failures, dev.backoff_s, dev.polls, dev.last_ok = 0, 0.0, dev.polls + 1, started
        if readings and dev.cfg.clock_point is not None:
            # Polled again before the device took a new sample: the same readings, not new ones.
            sample = (readings[0].ts_ms, tuple(r.value for r in readings))
            if sample == dev.last_sample:
                self.metrics.repeated.labels(dev.cfg.asset).inc()
                readings = []
            dev.last_sample = sample
        if dev.online is not True:
            log.info("%s (unit %d on %s) online", dev.cfg.asset, dev.cfg.unit_id, self.link.name)
        ts_ms = readings[0].ts_ms if readings else dev.now_ms()
        if dev.online is not True:
            if dev.offline_ms is not None:
                ts_ms = max(ts_ms, dev.offline_ms + 1)
            readings.append(Reading(dev.cfg.asset, DEVICE_ONLINE, ts_ms, 1.0))
        dev.online = True
        self.metrics.device_online.labels(dev.cfg.asset).set(1)
        self.metrics.polled.inc(len(readings))
        self.metrics.poll_seconds.labels(self.link.name).observe(time.monotonic() - started)
        self.emit(readings)
        dev.next_due = next_slot(dev.next_due, dev.cfg.interval_s, time.monotonic())

    def _failed(self, dev: Device, started: float, why: str) -> None:
        dev.failures += 1
        self.metrics.device_errors.labels(dev.cfg.asset, "unavailable").inc()
        if dev.online is not False:
            log.warning(
                "%s (unit %d on %s) unavailable: %s",
                dev.cfg.asset,
                dev.cfg.unit_id,
                self.link.name,
                why,
            )
            dev.offline_ms = dev.now_ms()
            self.emit([Reading(dev.cfg.asset, DEVICE_ONLINE, dev.offline_ms, 0.0)])
        dev.online = False
        self.metrics.device_online.labels(dev.cfg.asset).set(0)
        dev.next_due, dev.backoff_s = after_failure(
            dev.failures,
            self.link.quarantine_after,
            self.link.backoff_max_s,
            dev.cfg.interval_s,
            dev.backoff_s,
            dev.next_due,
            started,
        )

    async def _request(
        self, dev: Device, req: ReadRequest, client: Client
    ) -> list[int] | list[bool]:
        fn = {
            Table.HOLDING: client.read_holding_registers,
            Table.INPUT: client.read_input_registers,
            Table.COIL: client.read_coils,
            Table.DISCRETE: client.read_discrete_inputs,
        }[req.table]
        last: Exception | None = None
        # A quarantined device gets one attempt: its probes must cost the neighbours little.
        attempts = 1 if dev.backoff_s else self.link.retries + 1
        for _ in range(attempts):
            try:
                if not client.connected:
                    await client.connect()
                    if not client.connected:
                        raise DeviceUnavailable(f"cannot connect to link {self.link.name}")
                rsp = await fn(req.address, count=req.count, device_id=dev.cfg.unit_id)
                _reraise_cancellation()  # pymodbus may swallow a cancellation and answer
            except (TimeoutError, ModbusException, OSError) as exc:
                last = exc
                client.close()  # a late answer must not be taken for the next request's
                continue
            if rsp.isError():
                raise DeviceRefused(
                    f"exception {getattr(rsp, 'exception_code', '?')} for "
                    f"{req.table.value} {req.address}+{req.count}"
                )
            return _words(rsp, req.table, req.count)
        raise DeviceUnavailable(f"{type(last).__name__}: {last}")

    async def _read_device(self, dev: Device, client: Client) -> list[Reading]:
        wall_ms = int(time.time() * 1000)
        values: dict[str, float | str | bool | None] = {}
        signals: list[tuple[str, float | str | bool | None]] = []
        for req in dev.requests:
            try:
                words = await self._request(dev, req, client)
                decoded = decode_block(dev.profile, req, words)
            except DeviceRefused as exc:
                self.metrics.device_errors.labels(dev.cfg.asset, "exception").inc()
                log.warning("%s: %s", dev.cfg.asset, exc)
                continue
            except DecodeError as exc:
                self.metrics.device_errors.labels(dev.cfg.asset, "decode").inc()
                log.warning("%s: %s", dev.cfg.asset, exc)
                continue
            for point, value in decoded:
                values[point.name] = value
                if point.signal is not None:
                    signals.append((point.signal, value))
        ts_ms = wall_ms
        if dev.cfg.clock_point is not None:
            clock = values.get(dev.cfg.clock_point)
            if isinstance(clock, float) and clock > 0:
                ts_ms = int(clock * 1000)
                dev.clock_offset_ms = ts_ms - wall_ms
        out = []
        for signal, value in signals:
            if value is None:
                out.append(Reading(dev.cfg.asset, signal, ts_ms, None, Quality.DROPOUT))
            elif isinstance(value, str):
                continue
            else:
                out.append(Reading(dev.cfg.asset, signal, ts_ms, float(value)))
        return out


def _reraise_cancellation() -> None:
    """Raise CancelledError if this task was asked to stop (even if a library swallowed it)."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


@dataclass
class LinkSet:
    """All links of a gateway."""

    links: list[ModbusLink] = field(default_factory=list)

    def status(self) -> list[dict[str, object]]:
        """Per-device status for the health endpoint."""
        return [
            {
                "link": link.link.name,
                "asset": d.cfg.asset,
                "unit_id": d.cfg.unit_id,
                "online": d.online,
                "failures": d.failures,
                "polls": d.polls,
                "backoff_s": d.backoff_s,
            }
            for link in self.links
            for d in link.devices
        ]
