"""Tables of the registry: gateways and their tokens, classes, assets and signals, keys,
ingest bookkeeping, local alarms and lifecycle figures."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cloud.tables.base import Base, UtcDateTime, utcnow


class Gateway(Base):
    """An edge gateway allowed to send data."""

    __tablename__ = "gateways"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    manifest_version: Mapped[int] = mapped_column(Integer, default=0)
    manifest_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    tokens: Mapped[list[GatewayToken]] = relationship(back_populates="gateway")


class GatewayToken(Base):
    """A gateway's bearer token, stored only as a keyed hash."""

    __tablename__ = "gateway_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    gateway_id: Mapped[str] = mapped_column(ForeignKey("gateways.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    gateway: Mapped[Gateway] = relationship(back_populates="tokens")


class AssetClassRow(Base):
    """A class of the catalogue the cloud runs with (kept in step at start-up)."""

    __tablename__ = "asset_classes"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(80))
    name_zh: Mapped[str] = mapped_column(String(80))
    default_team: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Asset(Base):
    """A piece of equipment in the registry, watched by a gateway or registered only."""

    __tablename__ = "assets"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    gateway_id: Mapped[str | None] = mapped_column(
        ForeignKey("gateways.id"), index=True, nullable=True
    )
    site: Mapped[str] = mapped_column(String(64), index=True)
    building: Mapped[str] = mapped_column(String(64))
    room: Mapped[str] = mapped_column(String(64))
    asset_class: Mapped[str] = mapped_column(String(32), index=True)
    model: Mapped[str] = mapped_column(String(100))
    install_date: Mapped[date] = mapped_column(Date)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(String(500), default="")
    make: Mapped[str] = mapped_column(String(100), default="")
    serial_number: Mapped[str] = mapped_column(String(100), default="")
    purchase_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    currency: Mapped[str] = mapped_column(String(3), default="")
    warranty_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    criticality: Mapped[str] = mapped_column(String(8), default="medium")
    label_code: Mapped[str | None] = mapped_column(
        String(64), nullable=True, unique=True, index=True
    )
    registered_by: Mapped[str] = mapped_column(String(16), default="manifest")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    signals: Mapped[list[Signal]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", order_by="Signal.name"
    )


class Signal(Base):
    """A signal of an asset with its unit and expected range."""

    __tablename__ = "signals"
    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit: Mapped[str] = mapped_column(String(32), default="")
    min: Mapped[float | None] = mapped_column(Float, nullable=True)
    max: Mapped[float | None] = mapped_column(Float, nullable=True)
    asset: Mapped[Asset] = relationship(back_populates="signals")


class ApiKey(Base):
    """A person's or tool's key with a role."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class IngestedBatch(Base):
    """A batch that is durable in the time-series store; a resend is acknowledged, not stored."""

    __tablename__ = "ingested_batches"
    __table_args__ = (
        UniqueConstraint("gateway_id", "batch_id"),
        Index("ix_ingested_batches_spool_seq", "gateway_id", "spool_id", "last_seq"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    gateway_id: Mapped[str] = mapped_column(ForeignKey("gateways.id"), index=True)
    batch_id: Mapped[str] = mapped_column(String(64))
    # Within one spool incarnation a range of sequence numbers is stored once: a batch that
    # overlaps a stored one under another id comes from a spool restored from an old copy.
    spool_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    readings: Mapped[int] = mapped_column(Integer)
    first_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    historical: Mapped[bool] = mapped_column(Boolean, default=False)
    # The oldest reading's time: a batch older than the scorer's re-read window (a backlog)
    # makes the scorer read its gateway's assets' whole windows again.
    oldest_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # SHA-256 of the batch's contents: a batch id seen again with other contents is refused
    # (409), not taken for a resend (none for batches stored before digests were kept).
    digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class AlarmEventRow(Base):
    """A local alarm event forwarded by a gateway (stored once per gateway and event id)."""

    __tablename__ = "alarm_events"
    __table_args__ = (UniqueConstraint("gateway_id", "event_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    gateway_id: Mapped[str] = mapped_column(ForeignKey("gateways.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(100))
    rule: Mapped[str] = mapped_column(String(100))
    asset_id: Mapped[str] = mapped_column(String(64), index=True)
    signal: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    ts: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    threshold: Mapped[float] = mapped_column(Float)
    message: Mapped[str] = mapped_column(String(500))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class LifecycleRow(Base):
    """An asset's lifecycle figures as last computed (for dashboards; the API computes)."""

    __tablename__ = "asset_lifecycle"
    asset_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    asset_class: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    purchase_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    years_in_service: Mapped[float] = mapped_column(Float)
    preventive: Mapped[int] = mapped_column(Integer)
    corrective: Mapped[int] = mapped_column(Integer)
    repair_cost: Mapped[float] = mapped_column(Float)
    recent_repair_cost: Mapped[float] = mapped_column(Float)
    maintenance_cost: Mapped[float] = mapped_column(Float)
    downtime_h: Mapped[float] = mapped_column(Float)
    availability: Mapped[float] = mapped_column(Float)
    cost_per_year: Mapped[float | None] = mapped_column(Float, nullable=True)
    replace: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(300))
