"""The Modbus part of a gateway's configuration: TCP and RTU links and their devices."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from edge.config_parts import SignalSpec, Strict
from kernel.contract import Identifier


class DeviceConfig(Strict):
    """A Modbus device instance: an asset's controller on a link."""

    asset: Identifier
    profile: Identifier
    unit_id: int = Field(ge=0, le=247)
    interval_s: float = Field(default=10.0, gt=0)
    phase_s: float = Field(default=0.0, ge=0, description="Offset within the interval")
    max_registers_per_read: int | None = Field(default=None, ge=1, le=125)
    gap_fill: int = Field(default=8, ge=0, le=100, description="Unused registers read through")
    one_request_per_point: bool = Field(default=False, description="For devices that need it")
    clock_point: str | None = Field(
        default=None, description="Point holding the device clock (Unix s), used as timestamp"
    )
    ranges: dict[Identifier, SignalSpec] = Field(
        default_factory=dict, description="Expected ranges per signal (unit from the profile)"
    )


class TcpLink(Strict):
    """A Modbus TCP endpoint."""

    name: Identifier
    kind: Literal["tcp"]
    host: str
    port: int = Field(default=502, ge=1, le=65535)
    timeout_s: float = Field(default=1.0, gt=0)
    retries: int = Field(default=1, ge=0, le=5)
    quarantine_after: int = Field(default=3, ge=1, description="Failures before backing off")
    backoff_max_s: float = Field(default=300.0, gt=0)
    probe_connection: bool = Field(
        default=True,
        description="Probe quarantined devices on a second connection, so that their "
        "timeouts do not delay the neighbours; false for endpoints that accept one connection",
    )
    devices: list[DeviceConfig] = Field(min_length=1)


class RtuLink(Strict):
    """A Modbus RTU serial line (RS-485)."""

    name: Identifier
    kind: Literal["rtu"]
    port: str
    baudrate: int = 19200
    parity: Literal["N", "E", "O"] = "E"
    stopbits: Literal[1, 2] = 1
    bytesize: Literal[7, 8] = 8
    timeout_s: float = Field(default=0.5, gt=0)
    retries: int = Field(default=1, ge=0, le=5)
    quarantine_after: int = Field(default=3, ge=1)
    backoff_max_s: float = Field(default=300.0, gt=0)
    devices: list[DeviceConfig] = Field(min_length=1)


Link = Annotated[TcpLink | RtuLink, Field(discriminator="kind")]
