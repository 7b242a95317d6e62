"""Change-of-value subscriptions of one BACnet device, renewed before their lifetime ends."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from bacpypes3.apdu import ErrorRejectAbortNack
from bacpypes3.app import Application
from bacpypes3.pdu import Address

from edge.acquire.bacnet_client import object_id
from edge.acquire.bacnet_plan import present_value, status_quality
from kernel.aio import within
from kernel.bacnet_profiles import BacnetPoint
from kernel.contract import Quality, Reading

log = logging.getLogger("plantwatch.edge.bacnet")
Emit = Callable[[list[Reading]], None]
UNSUBSCRIBE_S = 1.0


class CovUnsupported(Exception):
    """The device refused a subscription."""


class CovSubscriptions:
    """Subscriptions to every signal object of a device; each notification becomes a reading.

    bacpypes3 renews a subscription ``lifetime - 2`` seconds after it was made; a renewal
    that fails (the device was away) ends that chain, which ``lapsed`` reports so the link
    subscribes again. A device that forgot its subscriptions (a restart) gets them back at
    the next renewal, well inside one lifetime.
    """

    def __init__(
        self,
        app: Application,
        address: str,
        asset: str,
        points: list[BacnetPoint],
        lifetime_s: int,
        emit: Emit,
        on_notification: Callable[[], None],
        bad_units: set[str],
    ) -> None:
        self.app, self.address, self.asset = app, address, asset
        self.points = [p for p in points if p.signal is not None]
        self.lifetime_s = lifetime_s
        self.emit, self.on_notification, self.bad_units = emit, on_notification, bad_units
        self._scms: list[Any] = []
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Subscribe to every object (unconfirmed notifications); CovUnsupported if refused."""
        for point in self.points:
            scm = self.app.change_of_value(
                Address(self.address), object_id(point), None, False, self.lifetime_s
            )
            try:
                await scm.__aenter__()
            except ErrorRejectAbortNack as exc:
                await self.stop()
                raise CovUnsupported(f"{point.object}: {exc}") from None
            self._scms.append(scm)
            self._tasks.append(asyncio.create_task(self._listen(point, scm)))

    @property
    def lapsed(self) -> bool:
        """True when a renewal failed: the device may no longer know the subscriber."""
        for scm in self._scms:
            task = scm.refresh_subscription_task
            if task is not None and task.done() and (task.cancelled() or task.exception()):
                return True
        return False

    async def _listen(self, point: BacnetPoint, scm: Any) -> None:
        assert point.signal is not None
        value: float | None = None
        flags: Any = None
        while True:
            prop, raw = await scm.get_value()
            group = {str(prop): raw}
            while not scm.queue.empty():  # one notification's values arrive together
                prop, raw = await scm.get_value()
                group[str(prop)] = raw
            if "present-value" in group:
                value = present_value(group["present-value"])
            flags = group.get("status-flags", flags)
            quality = status_quality(flags)
            if point.name in self.bad_units:
                quality |= Quality.DECODE_ERROR
            ts_ms = int(time.time() * 1000)
            self.on_notification()
            if value is None:
                self.emit([Reading(self.asset, point.signal, ts_ms, None, Quality.DECODE_ERROR)])
            else:
                self.emit([Reading(self.asset, point.signal, ts_ms, value, int(quality))])

    async def stop(self, graceful: bool = False) -> None:
        """End the listeners; with ``graceful``, tell the device (briefly) too."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for scm in self._scms:
            if graceful:
                with contextlib.suppress(ErrorRejectAbortNack, TimeoutError, KeyError):
                    await within(scm.__aexit__(None, None, None), UNSUBSCRIBE_S)
                    continue
            with contextlib.suppress(KeyError):
                await scm.__aexit__(CovUnsupported, None, None)  # forget it locally
        self._scms.clear()
        self._tasks.clear()
