"""SQLAlchemy tables of the registry, credentials and ingest bookkeeping."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """Now, timezone-aware."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Base of every table."""


class Gateway(Base):
    """An edge gateway allowed to send data."""

    __tablename__ = "gateways"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    manifest_version: Mapped[int] = mapped_column(Integer, default=0)
    manifest_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    tokens: Mapped[list[GatewayToken]] = relationship(back_populates="gateway")


class GatewayToken(Base):
    """A gateway's bearer token, stored only as a keyed hash."""

    __tablename__ = "gateway_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    gateway_id: Mapped[str] = mapped_column(ForeignKey("gateways.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
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
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


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
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


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
    oldest_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # SHA-256 of the batch's contents: a batch id seen again with other contents is refused
    # (409), not taken for a resend (none for batches stored before digests were kept).
    digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


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
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    threshold: Mapped[float] = mapped_column(Float)
    message: Mapped[str] = mapped_column(String(500))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Team(Base):
    """A maintenance team, with who hears when its orders go unanswered."""

    __tablename__ = "teams"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    lead: Mapped[str] = mapped_column(String(100), default="")
    supervisor: Mapped[str] = mapped_column(String(100), default="")


class RouteRow(Base):
    """One row of the routing table (asset class and fault to team; ``*`` matches all)."""

    __tablename__ = "routes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    position: Mapped[int] = mapped_column(Integer, index=True)
    asset_class: Mapped[str] = mapped_column(String(32))
    fault: Mapped[str] = mapped_column(String(100))
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"))


class ShiftRow(Base):
    """A technician on duty for a team (the roster is data)."""

    __tablename__ = "shifts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    technician: Mapped[str] = mapped_column(String(100), index=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WorkOrderRow(Base):
    """A work order with its due times, assignment and coded outcome."""

    __tablename__ = "work_orders"
    __table_args__ = (
        Index("ix_work_orders_pm_due_at", "asset_id", "pm_rule", "pm_due_at", unique=True),
        Index("ix_work_orders_pm_counter", "asset_id", "pm_rule", "pm_counter", unique=True),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    fault: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    priority: Mapped[str] = mapped_column(String(16))
    policy: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id"), nullable=True)
    assignee: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    reported_by: Mapped[str] = mapped_column(String(100))
    dispatch_by: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acknowledge_by: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    on_site_by: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    hold_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    problem: Mapped[str | None] = mapped_column(String(200), nullable=True)
    cause: Mapped[str | None] = mapped_column(String(200), nullable=True)
    remedy: Mapped[str | None] = mapped_column(String(200), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    labour_h: Mapped[float | None] = mapped_column(Float, nullable=True)
    parts: Mapped[str | None] = mapped_column(String(500), nullable=True)
    parts_cost: Mapped[float | None] = mapped_column(Float, nullable=True)
    # A preventive order's rule and due date (or counter reading): one order per due date.
    pm_rule: Mapped[str | None] = mapped_column(String(300), nullable=True)
    pm_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    pm_counter: Mapped[float | None] = mapped_column(Float, nullable=True)
    steps: Mapped[list[WorkOrderStep]] = relationship(
        back_populates="order", order_by="WorkOrderStep.id", cascade="all, delete-orphan"
    )
    escalations: Mapped[list[EscalationRow]] = relationship(
        order_by="EscalationRow.level", cascade="all, delete-orphan", lazy="selectin"
    )


class WorkOrderStep(Base):
    """One transition of a work order: when, by whom, from and to which state."""

    __tablename__ = "work_order_steps"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(16))
    before: Mapped[str] = mapped_column(String(16))
    after: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(500), default="")
    order: Mapped[WorkOrderRow] = relationship(back_populates="steps")


class EscalationRow(Base):
    """An escalation event: a level, once per order."""

    __tablename__ = "escalations"
    __table_args__ = (UniqueConstraint("order_id", "level"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    notified: Mapped[str] = mapped_column(String(500))


class WarningRow(Base):
    """A predictive warning: opened after k high evaluations, one open per asset and mode."""

    __tablename__ = "warnings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id"), index=True)
    failure_mode: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[str] = mapped_column(String(16), index=True)  # open | closed
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    close_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)
    dismissal: Mapped[str | None] = mapped_column(String(500), nullable=True)
    probability: Mapped[float] = mapped_column(Float)
    peak_probability: Mapped[float] = mapped_column(Float)
    risk_band: Mapped[str] = mapped_column(String(16))
    # hours to failure, 10th/50th/90th percentile; NULL when the class has no such model
    ttf_p10_h: Mapped[float | None] = mapped_column(Float, nullable=True)
    ttf_p50_h: Mapped[float | None] = mapped_column(Float, nullable=True)
    ttf_p90_h: Mapped[float | None] = mapped_column(Float, nullable=True)
    contributions: Mapped[str] = mapped_column(String(2000), default="[]")  # JSON list
    # What the technician found on completing its order (confirmed, false_alarm,
    # nothing_found): the label the next model learns from.
    verdict: Mapped[str | None] = mapped_column(String(16), nullable=True)
    model_version: Mapped[str] = mapped_column(String(64))
    work_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("work_orders.id"), nullable=True, index=True
    )


class RiskStateRow(Base):
    """Each asset's latest evaluation and its run of high and low ones (survives restarts)."""

    __tablename__ = "risk_states"
    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id"), primary_key=True)
    evaluated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    probability: Mapped[float] = mapped_column(Float)
    health: Mapped[float] = mapped_column(Float)
    risk_band: Mapped[str] = mapped_column(String(16))
    high_run: Mapped[int] = mapped_column(Integer, default=0)
    low_run: Mapped[int] = mapped_column(Integer, default=0)
    model_version: Mapped[str] = mapped_column(String(64))


class PmRuleRow(Base):
    """A preventive-maintenance rule: on the calendar or on use, for the assets it matches."""

    __tablename__ = "pm_rules"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    position: Mapped[int] = mapped_column(Integer, index=True)
    asset_class: Mapped[str] = mapped_column(String(64))
    every_days: Mapped[float | None] = mapped_column(Float, nullable=True)
    cron: Mapped[str | None] = mapped_column(String(100), nullable=True)
    usage_signal: Mapped[str | None] = mapped_column(String(64), nullable=True)
    usage_every: Mapped[float | None] = mapped_column(Float, nullable=True)
    min_age_years: Mapped[float] = mapped_column(Float, default=0.0)
    max_age_years: Mapped[float | None] = mapped_column(Float, nullable=True)
    criticality: Mapped[str] = mapped_column(String(40), default="")  # comma-separated; "": any
    title: Mapped[str] = mapped_column(String(200))
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LeaseRow(Base):
    """Who does a job that must run once (the checker): held while renewed, then free."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class User(Base):
    """A person: who signs in, what they may do, how to reach them.

    ``username`` is the name work orders, the roster and history refer to."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    language: Mapped[str] = mapped_column(String(16), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    roles: Mapped[str] = mapped_column(String(200), default="")  # comma-separated
    sites: Mapped[str] = mapped_column(String(500), default="")  # comma-separated; empty: all
    # Where pages reach the person besides e-mail: an Alertmanager-format webhook (ntfy,
    # a chat bridge, an SMS gateway) and an MQTT topic on the alert broker.
    page_webhook: Mapped[str] = mapped_column(String(500), default="")
    page_topic: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(500), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TeamMember(Base):
    """A user's membership of a team."""

    __tablename__ = "team_members"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"), primary_key=True)


class WebSession(Base):
    """A signed-in browser: the cookie's secret is stored only as a keyed hash."""

    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class SignInFailure(Base):
    """A failed sign-in, counted per user name for the rate limit."""

    __tablename__ = "sign_in_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class ActionLink(Base):
    """A single-use, expiring link in a message (acknowledge an order, reset a password)."""

    __tablename__ = "action_links"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Attachment(Base):
    """A photo attached to a work order, kept on disk under the upload folder."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    by: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    stored_as: Mapped[str] = mapped_column(String(64))


class LifecycleRow(Base):
    """An asset's lifecycle figures as last computed (for dashboards; the API computes)."""

    __tablename__ = "asset_lifecycle"
    asset_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
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
