"""BACnet read planning and decoding: pure functions, no stack, no I/O.

ReadPropertyMultiple asks for present value and status flags of many objects at once; how
many fit in one answer follows from what the device accepts (its max APDU and segmentation,
learned from its I-Am).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kernel.bacnet_profiles import BacnetPoint
from kernel.contract import Quality

# Bytes one object takes in a ReadPropertyMultiple-ACK carrying present value and status
# flags: object id (5), list open/close (2), two property ids (2x2), their value
# open/close tags (2x2), a value of up to 5 bytes and flags of 3.
ACK_BYTES_PER_OBJECT = 23
ACK_HEADER_BYTES = 5
# A segmented answer may run over many APDUs; more than this per request only lengthens
# the wait for one answer (and a lost segment costs the whole request).
MAX_OBJECTS_PER_REQUEST = 100

# StatusFlags bit -> quality flag (ASHRAE 135: in-alarm, fault, overridden, out-of-service).
# In-alarm is the equipment's condition, not the value's, so it marks nothing.
_STATUS_QUALITY = ((1, Quality.DEVICE_FAULT), (2, Quality.OVERRIDDEN), (3, Quality.OUT_OF_SERVICE))


@dataclass(frozen=True)
class DeviceLimits:
    """What a device accepts, from its I-Am (or the device object)."""

    max_apdu: int = 480
    segmented: bool = False
    max_segments: int = 1


def objects_per_request(limits: DeviceLimits, override: int | None = None) -> int:
    """How many objects' present value and status flags one request can ask for."""
    if override is not None:
        return override
    budget = limits.max_apdu * (max(1, limits.max_segments) if limits.segmented else 1)
    return max(1, min(MAX_OBJECTS_PER_REQUEST, (budget - ACK_HEADER_BYTES) // ACK_BYTES_PER_OBJECT))


def plan_batches(points: Sequence[BacnetPoint], per_request: int) -> list[tuple[BacnetPoint, ...]]:
    """The device's points in requests of at most ``per_request`` objects, in profile order."""
    return [tuple(points[i : i + per_request]) for i in range(0, len(points), per_request)]


def status_quality(flags: object) -> Quality:
    """The quality flags a BACnet status-flags bit string raises (nothing for anything else)."""
    q = Quality.GOOD
    if not isinstance(flags, list):
        return q
    for bit, flag in _STATUS_QUALITY:
        if len(flags) > bit and flags[bit]:
            q |= flag
    return q


def present_value(value: object) -> float | None:
    """A present value as a float: reals as they are, binary as 1/0, multi-state as its state.

    None when the device sent something else (an error, a null, a string).
    """
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    return None
