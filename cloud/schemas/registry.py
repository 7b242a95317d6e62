"""Schemas of ingest, the asset registry, its time series, gateways, keys and alarms."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from cloud.schemas.base import In, Out, Utc
from cloud.security import Role
from kernel.contract import Identifier


class IngestAck(BaseModel):
    """A batch is durable in the time-series store (or was already)."""

    batch_id: str
    accepted: int
    duplicate: bool
    rejected: int = Field(default=0, description="Readings left out (named in rejected_items)")
    rejected_items: list[str] = Field(default_factory=list, description="The first of them")


class ManifestAck(BaseModel):
    """The registry now matches the gateway's manifest."""

    gateway_id: str
    assets: int
    signals: int
    manifest_version: int
    batch_media_types: list[str] = Field(
        default_factory=list,
        description="The encodings of a batch this cloud reads (a gateway sends packed "
        "columns only to a cloud that lists them)",
    )


class SignalPublic(Out):
    """A registered signal."""

    name: str
    unit: str
    min: float | None
    max: float | None


class AssetPublic(Out):
    """A registered asset."""

    id: str
    gateway_id: str | None = Field(description="None for an asset no gateway watches")
    site: str
    building: str
    room: str
    asset_class: Identifier
    model: str
    install_date: date
    retired: bool
    notes: str
    make: str
    serial_number: str
    purchase_value: float | None
    currency: str
    warranty_end: date | None
    criticality: str
    label_code: str | None
    registered_by: str = Field(description="register (the register owns it) or manifest")
    updated_at: Utc
    signals: list[SignalPublic]


class AssetUpdate(In):
    """What people may change on an asset (the gateway owns the rest)."""

    notes: str | None = Field(default=None, max_length=500)
    retired: bool | None = None


class SamplePublic(BaseModel):
    """One value of one signal."""

    signal: str
    ts: Utc
    value: float | None
    quality: int


class LatestPublic(BaseModel):
    """Newest values of an asset."""

    asset: str
    samples: list[SamplePublic]


class PointPublic(BaseModel):
    """One point of a history."""

    ts: Utc
    value: float | None
    quality: int = 0


class HistoryPublic(BaseModel):
    """A signal's history, raw or downsampled."""

    asset: str
    signal: str
    step_s: int | None
    aggregate: str
    points: list[PointPublic]


class GatewayCreate(In):
    """A new gateway."""

    id: Identifier
    description: str = Field(default="", max_length=200)


class TokenPublic(Out):
    """A gateway token as it may be listed: prefix only."""

    prefix: str
    created_at: Utc
    revoked_at: Utc | None


class GatewayPublic(Out):
    """A gateway and its tokens."""

    id: str
    description: str
    created_at: Utc
    manifest_version: int
    manifest_at: Utc | None
    last_seen_at: Utc | None
    tokens: list[TokenPublic]


class TokenIssued(BaseModel):
    """A new secret, shown once."""

    gateway_id: str
    prefix: str
    token: str


class ApiKeyCreate(In):
    """A new API key."""

    name: str = Field(min_length=1, max_length=100)
    role: Role


class ApiKeyPublic(Out):
    """An API key as it may be listed."""

    id: int
    name: str
    role: Role
    prefix: str
    created_at: Utc
    revoked_at: Utc | None


class ApiKeyIssued(ApiKeyPublic):
    """A new API key with its secret, shown once."""

    key: str


class AlarmAck(BaseModel):
    """Alarm events stored (duplicates are acknowledged, not stored twice)."""

    received: int
    stored: int


class AlarmEventPublic(Out):
    """A local alarm event from a gateway."""

    gateway_id: str
    event_id: str
    rule: str
    asset_id: str
    signal: str
    state: str
    severity: str
    ts: Utc
    value: float | None
    threshold: float
    message: str
