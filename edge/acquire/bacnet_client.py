"""The gateway's BACnet/IP application (bacpypes3): who-is, reads, subscriptions.

A thin shell: it turns bacpypes3's answers and its error PDUs (raised as BaseException
subclasses) into the few outcomes the link acts on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bacpypes3.apdu import AbortPDU, AbortReason, ErrorRejectAbortNack, RejectPDU
from bacpypes3.app import Application
from bacpypes3.ipv4.app import ForeignApplication, NormalApplication
from bacpypes3.local.device import DeviceObject
from bacpypes3.pdu import Address, IPv4Address
from bacpypes3.primitivedata import ObjectIdentifier

from edge.acquire.bacnet_plan import DeviceLimits
from edge.bacnet_config import BacnetPort
from kernel.bacnet_profiles import BacnetPoint

VENDOR_ID = 999  # "unregistered": the gateway claims no vendor's proprietary objects
ASSUMED_SEGMENTS = 4  # an I-Am does not tell how many segments a device accepts


class Unavailable(Exception):
    """The device did not answer in time (or could not be found)."""


class Refused(Exception):
    """The device rejected the service (e.g. it does not implement ReadPropertyMultiple)."""


class TooLong(Exception):
    """The answer would not fit what the device can send: ask for fewer objects."""


@dataclass(frozen=True)
class Found:
    """A device that answered Who-Is."""

    instance: int
    address: str
    limits: DeviceLimits
    vendor_id: int


def build_application(net: BacnetPort) -> Application:
    """The gateway's device on the network; a foreign device of a BBMD when configured."""
    device = DeviceObject(
        objectIdentifier=("device", net.device_instance),
        objectName=net.device_name,
        vendorIdentifier=VENDOR_ID,
        maxApduLengthAccepted=1476,
        segmentationSupported="segmented-both",
        apduTimeout=int(net.timeout_s * 1000),
        numberOfApduRetries=net.retries,
    )
    local = IPv4Address(net.local_address)
    if net.foreign is None:
        return NormalApplication(device, local)
    app = ForeignApplication(device, local)
    app.register(IPv4Address(net.foreign.bbmd), net.foreign.ttl_s)
    return app


def _raise(exc: ErrorRejectAbortNack) -> None:
    """Map an error PDU to the link's outcomes (object errors are returned, not raised)."""
    if isinstance(exc, RejectPDU):
        raise Refused(f"rejected: {exc.apduAbortRejectReason}")
    if isinstance(exc, AbortPDU):
        reason = exc.apduAbortRejectReason
        if reason in (AbortReason.segmentationNotSupported, AbortReason.apduTooLong):
            raise TooLong(str(reason))
        if reason == AbortReason.noResponse:
            raise Unavailable("no response")
        raise Refused(f"aborted: {reason}")
    raise Refused(f"error: {exc}")


async def who_is(
    app: Application, low: int, high: int, address: str | None, timeout_s: float
) -> list[Found]:
    """Devices with an instance in ``low..high`` that answer (at ``address``, or all)."""
    target = Address(address) if address is not None else None
    answers = await app.who_is(low, high, target, timeout=timeout_s)
    found = {}
    for iam in answers:
        segmented = str(iam.segmentationSupported) in ("segmented-both", "segmented-transmit")
        limits = DeviceLimits(
            int(iam.maxAPDULengthAccepted), segmented, ASSUMED_SEGMENTS if segmented else 1
        )
        instance = int(iam.iAmDeviceIdentifier[1])
        found[instance] = Found(instance, str(iam.pduSource), limits, int(iam.vendorID))
    return [found[i] for i in sorted(found)]


def object_id(point: BacnetPoint) -> ObjectIdentifier:
    """The bacpypes3 identifier of a profile point's object."""
    return ObjectIdentifier((point.object_type.value, point.instance))


async def read_multiple(
    app: Application, address: str, points: Sequence[BacnetPoint], properties: Sequence[str]
) -> dict[tuple[str, int], dict[str, Any]]:
    """ReadPropertyMultiple: per object (type, instance), each property's value (or error)."""
    params: list[Any] = []
    for p in points:
        params += [object_id(p), list(properties)]
    try:
        rows = await app.read_property_multiple(Address(address), params)
    except ErrorRejectAbortNack as exc:
        _raise(exc)
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for objid, prop, _index, value in rows or ():
        out.setdefault((str(objid[0]), int(objid[1])), {})[str(prop)] = value
    return out


async def read_one(app: Application, address: str, point: BacnetPoint, prop: str) -> Any:
    """ReadProperty of one property; an object error comes back as a string."""
    try:
        return await app.read_property(Address(address), object_id(point), prop)
    except ErrorRejectAbortNack as exc:
        if isinstance(exc, RejectPDU | AbortPDU):
            _raise(exc)
        return f"error: {exc}"


async def close(app: Application) -> None:
    """Unregister from the BBMD (if foreign) and release the socket."""
    if isinstance(app, ForeignApplication):
        app.unregister()
        await asyncio.sleep(0)
    app.close()
