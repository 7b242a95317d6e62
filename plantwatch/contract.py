"""The data contract between edge gateways and the cloud, versioned.

Both sides import these models; neither redefines them. A change that an older
peer cannot read bumps ``CONTRACT_VERSION``'s major number.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import IntFlag, StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, FiniteFloat, StringConstraints

CONTRACT_VERSION = "1.0"

# Identifiers travel as MQTT topic levels, InfluxDB tags and URL path segments.
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]


class Quality(IntFlag):
    """Quality flags carried by every reading; GOOD is the empty set."""

    GOOD = 0
    OUT_OF_RANGE = 1
    STUCK = 2
    SPIKE = 4
    DROPOUT = 8
    COMM_ERROR = 16
    ANOMALY = 32
    DECODE_ERROR = 64

    @property
    def is_sensor_fault(self) -> bool:
        """True when the flag marks the sensor, not the equipment, as suspect."""
        return bool(self & (Quality.OUT_OF_RANGE | Quality.STUCK | Quality.SPIKE | Quality.DROPOUT))


class AssetClass(StrEnum):
    """The kinds of plant-room equipment plantwatch models."""

    ELEVATOR = "elevator"
    HVAC = "hvac"
    PUMP = "pump"
    POWER_ROOM = "power_room"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reading(_Strict):
    """One value of one signal of one asset at one instant."""

    asset: Identifier
    signal: Identifier
    ts: AwareDatetime
    value: FiniteFloat | None = Field(description="None when the sensor gave no usable value")
    quality: int = Field(default=0, ge=0, description="Quality flags, a bit set")
    seq: int | None = Field(
        default=None, ge=0, description="Per-gateway sequence number, set by the spool"
    )


class Batch(_Strict):
    """Readings a gateway hands to the cloud in one request."""

    contract_version: str = CONTRACT_VERSION
    gateway_id: Identifier
    batch_id: str = Field(min_length=1, max_length=64)
    historical: bool = Field(
        default=False, description="True when replayed from the spool after an outage"
    )
    readings: list[Reading]


class SignalInfo(_Strict):
    """A signal an asset reports, with its unit and plausible range."""

    name: Identifier
    unit: str
    min: float | None = None
    max: float | None = None


class AssetInfo(_Strict):
    """An asset as a gateway declares it in its manifest."""

    id: Identifier
    site: Identifier
    building: Identifier
    room: Identifier
    asset_class: AssetClass
    model: str
    install_date: date
    signals: list[SignalInfo]


class Manifest(_Strict):
    """What a gateway serves: sent at start and on every config change."""

    contract_version: str = CONTRACT_VERSION
    gateway_id: Identifier
    generated_at: datetime
    assets: list[AssetInfo]
