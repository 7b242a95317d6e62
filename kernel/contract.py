"""The data contract between edge gateways and the cloud, versioned.

Both sides import these models; neither redefines them. A change that an older
peer cannot read bumps ``CONTRACT_VERSION``'s major number.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from enum import IntFlag
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    FiniteFloat,
    StringConstraints,
    model_validator,
)

CONTRACT_VERSION = "1.0"
# The times the cloud stores by default (its settings may narrow them); gateways drop and
# count readings outside them instead of sending them beside good ones.
MAX_READING_AGE_DAYS = 3650.0
MAX_CLOCK_SKEW_S = 300.0

# Identifiers travel as MQTT topic levels, InfluxDB tags and URL path segments.
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
# Numbers as the stores keep them: times and sequence numbers in 64 bits, flags and indexes
# in 31, so a value no store can hold is refused at the schema, never half-written.
INT64_MAX = 2**63 - 1
SMALL_MAX = 2**31 - 1
EpochMs = Annotated[int, Field(ge=-(2**63), le=INT64_MAX)]
Seq = Annotated[int, Field(ge=0, le=INT64_MAX)]
Small = Annotated[int, Field(ge=0, le=SMALL_MAX)]


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
    # A BACnet object's status flags: the device itself says the value is not to be trusted.
    DEVICE_FAULT = 128
    OVERRIDDEN = 256
    OUT_OF_SERVICE = 512

    @property
    def is_sensor_fault(self) -> bool:
        """True when the flag marks the sensor, not the equipment, as suspect."""
        return bool(self & (Quality.OUT_OF_RANGE | Quality.STUCK | Quality.SPIKE | Quality.DROPOUT))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def epoch_ms(ts: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return round(ts.timestamp() * 1000)


class Reading(NamedTuple):
    """One value of one signal of one asset at one instant.

    A plain tuple, cheap enough for every stage of the gateway; validation happens where data
    crosses a boundary (the Batch the cloud receives).
    """

    asset: str
    signal: str
    ts_ms: int  # epoch milliseconds, UTC
    value: float | None  # None when the sensor gave no usable value
    quality: int = 0  # Quality flags
    seq: int | None = None  # per-gateway sequence number, set by the spool

    @property
    def ts(self) -> datetime:
        """The instant as an aware UTC datetime."""
        return datetime.fromtimestamp(self.ts_ms / 1000, UTC)


class BatchHead(_Strict):
    """What a batch says about itself, whatever the encoding of its columns."""

    contract_version: str = CONTRACT_VERSION
    gateway_id: Identifier
    batch_id: str = Field(min_length=1, max_length=64)
    historical: bool = Field(
        default=False, description="True when replayed from the spool after an outage"
    )
    series: list[tuple[Identifier, Identifier]] = Field(description="(asset, signal) pairs")
    spool_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        pattern=r"^[0-9A-Za-z_.]+$",
        description="The spool (incarnation) whose sequence numbers these are: within one, "
        "the cloud stores a range of sequence numbers once, under one batch id",
    )


def head_fields(model: BatchHead) -> dict[str, Any]:
    """The head fields of a batch or a packed batch's head, as keyword arguments."""
    return {name: getattr(model, name) for name in BatchHead.model_fields}


class Batch(BatchHead):
    """Readings a gateway hands to the cloud in one request, in columns.

    Columns validate an order of magnitude faster than one object per reading, and the
    (asset, signal) pairs are sent once per batch rather than once per reading. Reading
    ``i`` is ``series[index[i]]`` at ``ts[i]`` (epoch milliseconds, UTC) with ``value[i]``
    and ``quality[i]``; ``seq[i]`` is its per-gateway sequence number (``seq`` may be empty).
    ``kernel.packed`` carries the same columns as packed binary arrays.
    """

    index: list[Small] = Field(description="Series of each reading")
    ts: list[EpochMs] = Field(description="Epoch milliseconds, UTC")
    value: list[FiniteFloat | None]
    quality: list[Small]
    seq: list[Seq] = Field(default_factory=list)

    @model_validator(mode="after")
    def _columns_agree(self) -> Batch:
        n = len(self.index)
        lengths = {len(self.ts), len(self.value), len(self.quality)}
        if lengths != {n} or (self.seq and len(self.seq) != n):
            raise ValueError("index, ts, value, quality (and seq if given) must be equally long")
        if n and max(self.index) >= len(self.series):
            raise ValueError(
                f"index refers to series {max(self.index)}; there are {len(self.series)}"
            )
        return self

    def __len__(self) -> int:
        return len(self.index)

    def readings(self) -> list[Reading]:
        """The batch as one Reading per row."""
        seqs: list[int | None] = list(self.seq) if self.seq else [None] * len(self)
        return [
            Reading(self.series[i][0], self.series[i][1], t, v, q, sq)
            for i, t, v, q, sq in zip(
                self.index, self.ts, self.value, self.quality, seqs, strict=True
            )
        ]

    @classmethod
    def of(
        cls, gateway_id: str, batch_id: str, readings: Sequence[Reading], historical: bool = False
    ) -> Batch:
        """Pack readings into columns."""
        keys: dict[tuple[str, str], int] = {}
        index = [keys.setdefault((r.asset, r.signal), len(keys)) for r in readings]
        seq = [r.seq for r in readings if r.seq is not None]
        return cls(
            gateway_id=gateway_id,
            batch_id=batch_id,
            historical=historical,
            series=list(keys),
            index=index,
            ts=[r.ts_ms for r in readings],
            value=[r.value for r in readings],
            quality=[r.quality for r in readings],
            seq=seq if len(seq) == len(readings) else [],
        )


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
    asset_class: Identifier = Field(description="A class of the site's catalogue")
    model: str
    install_date: date
    signals: list[SignalInfo]


class Manifest(_Strict):
    """What a gateway serves: sent at start and on every config change."""

    contract_version: str = CONTRACT_VERSION
    gateway_id: Identifier
    generated_at: datetime
    assets: list[AssetInfo]


class AlarmEvent(_Strict):
    """A local alarm raised or cleared by a gateway's rules (sent ahead of telemetry)."""

    contract_version: str = CONTRACT_VERSION
    gateway_id: Identifier
    event_id: str = Field(min_length=1, max_length=100, description="Unique per gateway")
    rule: str = Field(min_length=1, max_length=100)
    asset: Identifier
    signal: Identifier
    state: Literal["raised", "cleared"]
    severity: Literal["info", "warning", "critical"]
    ts_ms: EpochMs = Field(description="When the condition was confirmed (epoch ms, UTC)")
    value: FiniteFloat | None
    threshold: FiniteFloat
    message: str = Field(max_length=500)


class AlarmBatch(_Strict):
    """Alarm events in one request."""

    gateway_id: Identifier
    events: list[AlarmEvent] = Field(max_length=1000)
