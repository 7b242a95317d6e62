"""A Modbus device as its link schedules it, and how a poll of it fails."""

from __future__ import annotations

import time
from dataclasses import dataclass

from edge.acquire.plan import ReadRequest
from edge.modbus_config import DeviceConfig
from kernel.profiles import DeviceProfile


class DeviceUnavailable(Exception):
    """The device did not answer (timeout, connection refused or dropped)."""


class DeviceRefused(Exception):
    """The device answered a request with a Modbus exception."""


@dataclass
class Device:
    """A device's schedule and health on its link."""

    cfg: DeviceConfig
    profile: DeviceProfile
    requests: list[ReadRequest]
    next_due: float
    failures: int = 0
    online: bool | None = None
    backoff_s: float = 0.0
    polls: int = 0
    last_ok: float | None = None
    clock_offset_ms: int = 0  # device clock minus wall clock, when the device has a clock
    probing: bool = False  # a probe of this quarantined device is in flight
    # (device time, values) of the last sample reported, for devices that stamp their own
    last_sample: tuple[int, tuple[float | None, ...]] | None = None
    # When the last "offline" was reported: the "online" after it is never stamped earlier,
    # even when it is in the device's time base and the offline was not (no offset known).
    offline_ms: int | None = None

    def now_ms(self) -> int:
        """Now in the device's time base."""
        return int(time.time() * 1000) + self.clock_offset_ms
