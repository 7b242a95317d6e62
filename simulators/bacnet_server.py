"""Simulated BACnet/IP devices (bacpypes3): an asset's controller as an object list whose
present values follow the simulation, with units, status flags and change of value.

Every device has a UDP port of its own on loopback; a BBMD beside them takes foreign-device
registrations and relays broadcasts (Who-Is, I-Am) between them, as on a routed campus.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from bacpypes3.app import Application
from bacpypes3.basetypes import EngineeringUnits, Reliability
from bacpypes3.ipv4.app import BBMDApplication, ForeignApplication, NormalApplication
from bacpypes3.local.analog import AnalogInputObject, AnalogOutputObject, AnalogValueObject
from bacpypes3.local.binary import BinaryInputObject, BinaryOutputObject, BinaryValueObject
from bacpypes3.local.device import DeviceObject
from bacpypes3.local.multistate import (
    MultiStateInputObject,
    MultiStateOutputObject,
    MultiStateValueObject,
)
from bacpypes3.pdu import IPv4Address

from kernel.bacnet_profiles import BacnetPoint, ObjectType
from simulators.deployment import BacnetDevice

BBMD_INSTANCE = 4194000
FD_TTL_S = 600


@dataclass
class Behaviour:
    """How a simulated device deviates from a well-behaved one (for tests and training)."""

    read_multiple: bool = True
    cov: bool = True
    max_apdu: int = 1476
    segmented: bool = True


def _app_class(base: type[Application], behaviour: Behaviour) -> type[Application]:
    """The bacpypes3 application class, without the services the device does not offer."""
    attrs: dict[str, Any] = {}
    if not behaviour.read_multiple:
        attrs["do_ReadPropertyMultipleRequest"] = None  # answered with a reject
    if not behaviour.cov:
        attrs["do_SubscribeCOVRequest"] = None
    return type(f"Sim{base.__name__}", (_Silenceable, base), attrs)


class _Silenceable:
    """An application that can stop answering, like a controller whose cable was pulled."""

    silent = False
    requests = 0

    async def indication(self, apdu: Any) -> None:
        """Drop requests while silent; count the rest."""
        if self.silent:
            return
        self.requests += 1
        await super().indication(apdu)  # type: ignore[misc]


_CLASSES: dict[ObjectType, Any] = {
    ObjectType.ANALOG_INPUT: AnalogInputObject,
    ObjectType.ANALOG_OUTPUT: AnalogOutputObject,
    ObjectType.ANALOG_VALUE: AnalogValueObject,
    ObjectType.BINARY_INPUT: BinaryInputObject,
    ObjectType.BINARY_OUTPUT: BinaryOutputObject,
    ObjectType.BINARY_VALUE: BinaryValueObject,
    ObjectType.MULTI_STATE_INPUT: MultiStateInputObject,
    ObjectType.MULTI_STATE_OUTPUT: MultiStateOutputObject,
    ObjectType.MULTI_STATE_VALUE: MultiStateValueObject,
}
STATES = 8  # of a simulated multi-state object: a signal's value v shows as state v + 1


def _object(point: BacnetPoint) -> Any:
    kind = point.object_type
    attrs: dict[str, Any] = {
        "objectIdentifier": (kind.value, point.instance),
        "objectName": point.name,
        "reliability": "no-fault-detected",
        "outOfService": False,
    }
    if kind.is_binary:
        attrs["presentValue"] = "inactive"
    elif kind.is_analog:
        attrs["presentValue"] = 0.0
        attrs["units"] = EngineeringUnits(point.bacnet_units or "no-units")
        attrs["covIncrement"] = 0.0  # every change is notified
    else:
        attrs["presentValue"] = 1
        attrs["numberOfStates"] = STATES
    if kind.value.endswith("output"):
        attrs["relinquishDefault"] = attrs["presentValue"]  # commandable: what it shows unset
    return _CLASSES[kind](**attrs)


@dataclass
class BacnetImage:
    """A running simulated device: its application, objects and what it served."""

    device: BacnetDevice
    address: str
    bbmd: str | None
    behaviour: Behaviour = field(default_factory=Behaviour)
    app: Any = None
    objects: dict[str, Any] = field(default_factory=dict)
    served: dict[str, set[float]] = field(default_factory=dict)

    def start(self) -> None:
        """Create the bacpypes3 application (needs a running event loop)."""
        b = self.behaviour
        dev = DeviceObject(
            objectIdentifier=("device", self.device.instance),
            objectName=self.device.asset.id[-60:],
            vendorIdentifier=999,
            maxApduLengthAccepted=b.max_apdu,
            segmentationSupported="segmented-both" if b.segmented else "no-segmentation",
        )
        base = ForeignApplication if self.bbmd else NormalApplication
        self.app = _app_class(base, b)(dev, IPv4Address(self.address))
        if self.bbmd:
            self.app.register(IPv4Address(self.bbmd), FD_TTL_S)
        for point in self.device.profile.objects:
            obj = _object(point)
            self.app.add_object(obj)
            self.objects[point.name] = obj

    @property
    def offline(self) -> bool:
        """True while the device ignores every request."""
        return bool(self.app.silent)

    @offline.setter
    def offline(self, value: bool) -> None:
        self.app.silent = value

    def update(self, readings: Mapping[str, float]) -> None:
        """Set every object's present value from ``readings`` (signal -> value)."""
        for point in self.device.profile.objects:
            assert point.signal is not None
            value = readings[point.signal]
            obj = self.objects[point.name]
            if math.isnan(value):
                obj.reliability = "unreliable-other"  # no value: the device flags a fault
                continue
            kind = point.object_type
            if kind.is_binary:
                obj.presentValue = "active" if value else "inactive"
                shown = 1.0 if value else 0.0
            elif kind.is_analog:
                shown = float(np.float32(value))  # a BACnet Real is single precision
                obj.presentValue = shown
            else:
                state = min(STATES, max(1, round(value) + 1))
                obj.presentValue = state
                shown = float(state)
            if obj.reliability != Reliability.noFaultDetected:
                obj.reliability = "no-fault-detected"
            self.served.setdefault(point.signal, set()).add(shown)

    def set_out_of_service(self, point_name: str, out: bool = True) -> None:
        """Take an object out of service (its status flags say so), or back in."""
        self.objects[point_name].outOfService = out

    def drop_subscriptions(self) -> int:
        """Forget every change-of-value subscription, as a restarted controller does."""
        dropped = 0
        for detection in list(self.app._cov_detections.values()):
            for sub in list(detection.cov_subscriptions):
                self.app.cancel_subscription(sub)
                if sub.cancel_handle is not None:
                    sub.cancel_handle.cancel()
                dropped += 1
        return dropped

    def close(self) -> None:
        """Release the socket."""
        if self.app is not None:
            self.app.close()


def start_bbmd(address: str) -> Any:
    """A BBMD that accepts foreign-device registrations (the simulator's routed network)."""
    dev = DeviceObject(
        objectIdentifier=("device", BBMD_INSTANCE), objectName="sim-bbmd", vendorIdentifier=999
    )
    app = BBMDApplication(dev, IPv4Address(address))
    return app
