"""Tables of the work: teams, routes, rosters, work orders and their steps, escalations,
warnings, risk states, preventive rules and leases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cloud.tables.base import Base, UtcDateTime


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
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())


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
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    reported_by: Mapped[str] = mapped_column(String(100))
    dispatch_by: Mapped[datetime] = mapped_column(UtcDateTime())
    acknowledge_by: Mapped[datetime] = mapped_column(UtcDateTime())
    on_site_by: Mapped[datetime] = mapped_column(UtcDateTime())
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
    pm_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
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
    at: Mapped[datetime] = mapped_column(UtcDateTime())
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
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    notified: Mapped[str] = mapped_column(String(500))


class WarningRow(Base):
    """A predictive warning: opened after k high evaluations, one open per asset and mode."""

    __tablename__ = "warnings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id"), index=True)
    failure_mode: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[str] = mapped_column(String(16), index=True)  # open | closed
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
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
    evaluated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    data_until: Mapped[datetime] = mapped_column(UtcDateTime())
    probability: Mapped[float] = mapped_column(Float)
    health: Mapped[float] = mapped_column(Float)
    risk_band: Mapped[str] = mapped_column(String(16))
    high_run: Mapped[int] = mapped_column(Integer, default=0)
    low_run: Mapped[int] = mapped_column(Integer, default=0)
    model_version: Mapped[str] = mapped_column(String(64))
    # A person ended the asset's warning (dismissed it, or its order ended without a
    # confirmed repair) while the risk was high: the incident stays held, and no new warning
    # opens, until the risk is low long enough to close a warning.
    held: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


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
    since: Mapped[datetime] = mapped_column(UtcDateTime())


class LeaseRow(Base):
    """Who does a job that must run once (the checker): held while renewed, then free."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
