"""The BACnet/IP part of a gateway's configuration: networks, their devices, BBMD registration."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, field_validator, model_validator

from edge.config_parts import SignalSpec, Strict
from kernel.contract import Identifier


def check_bacnet_address(text: str, *, prefix: bool = False) -> str:
    """Validate ``host[/prefix][:port]`` (an IPv4 BACnet/IP address) and return it."""
    host_part, _, port = text.rpartition(":") if ":" in text else (text, "", "")
    if port and not port.isdigit():
        raise ValueError(f"{text!r}: the port must be a number")
    if port and not 0 <= int(port) <= 65535:
        raise ValueError(f"{text!r}: the port lies in 0..65535")
    host, slash, bits = host_part.partition("/")
    if slash and not prefix:
        raise ValueError(f"{text!r}: a device address takes no /prefix")
    if slash and not (bits.isdigit() and 0 <= int(bits) <= 32):
        raise ValueError(f"{text!r}: the prefix lies in 0..32")
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        raise ValueError(f"{text!r}: write an IPv4 address, e.g. 192.168.10.5:47808") from None
    return text


class ForeignRegistration(Strict):
    """Register with a BBMD as a foreign device, for devices on other subnets."""

    bbmd: str = Field(description="The BBMD's address, host[:port]")
    ttl_s: int = Field(default=300, ge=30, le=65535, description="Registration lifetime")

    @field_validator("bbmd")
    @classmethod
    def _address(cls, text: str) -> str:
        return check_bacnet_address(text)


class BacnetDeviceConfig(Strict):
    """A BACnet device: an asset's controller, by device instance."""

    asset: Identifier
    profile: Identifier
    instance: int = Field(ge=0, lt=4194303, description="Device object instance")
    address: str | None = Field(
        default=None, description="host[:port]; None: found by Who-Is on the network"
    )
    interval_s: float = Field(default=10.0, gt=0)
    phase_s: float = Field(default=0.0, ge=0, description="Offset within the interval")
    read_multiple: Literal["auto", "never"] = Field(
        default="auto", description="auto: ReadPropertyMultiple unless the device refuses it"
    )
    max_objects_per_request: int | None = Field(
        default=None, ge=1, le=500, description="None: learned from the device's max APDU"
    )
    cov: bool = Field(default=False, description="Subscribe to changes of value where supported")
    cov_lifetime_s: int = Field(default=300, ge=6, le=28800)
    cov_verify_s: float = Field(
        default=300.0, gt=0, description="With COV: read everything this often all the same"
    )
    ranges: dict[Identifier, SignalSpec] = Field(
        default_factory=dict, description="Expected ranges per signal (unit from the profile)"
    )

    @field_validator("address")
    @classmethod
    def _address(cls, text: str | None) -> str | None:
        return None if text is None else check_bacnet_address(text)


class BacnetPort(Strict):
    """How the gateway joins a BACnet/IP network: its address and a device object of its own."""

    local_address: str = Field(
        description="The gateway's address on the network, host/prefix:port "
        "(e.g. 192.168.10.2/24:47808)"
    )
    device_instance: int = Field(ge=0, lt=4194303, description="The gateway's device object")
    device_name: str = "plantwatch-gateway"
    foreign: ForeignRegistration | None = None
    timeout_s: float = Field(default=1.0, gt=0, le=60)
    retries: int = Field(default=1, ge=0, le=5)
    discover_timeout_s: float = Field(default=2.0, gt=0, le=60)

    @field_validator("local_address")
    @classmethod
    def _address(cls, text: str) -> str:
        return check_bacnet_address(text, prefix=True)


class BacnetNetwork(BacnetPort):
    """One BACnet/IP network the gateway joins, and the devices it reads there."""

    name: Identifier
    quarantine_after: int = Field(default=3, ge=1, description="Failures before backing off")
    backoff_max_s: float = Field(default=300.0, gt=0)
    devices: list[BacnetDeviceConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_instances(self) -> BacnetNetwork:
        seen = [d.instance for d in self.devices]
        dupes = sorted({i for i in seen if seen.count(i) > 1})
        if dupes:
            raise ValueError(f"device instance listed twice: {dupes}")
        if self.device_instance in seen:
            raise ValueError("the gateway's device_instance is also a device's")
        broadcast = "/" in self.local_address and not self.local_address.endswith(":0")
        if self.foreign is None and not broadcast:
            unplaced = [d.asset for d in self.devices if d.address is None]
            if unplaced:
                raise ValueError(
                    f"{', '.join(unplaced)}: without an address a device is found by a Who-Is "
                    "broadcast, which needs local_address with its network prefix and port "
                    "(e.g. 192.168.10.2/24:47808) or a foreign: registration with a BBMD"
                )
        return self
