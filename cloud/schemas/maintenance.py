"""Schemas of work orders, teams and rosters, warnings, the maintenance plan and KPIs."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from cloud.schemas.base import Utc
from cloud.workorders.lifecycle import Action, Outcome
from cloud.workorders.sla import Priority
from kernel.contract import Identifier


class WorkOrderCreate(BaseModel):
    """A fault reported by hand."""

    model_config = ConfigDict(extra="forbid")
    asset_id: str = Field(min_length=1, max_length=64)
    fault: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=200)
    priority: Priority = Priority.NORMAL


class WorkOrderAction(BaseModel):
    """One step of a work order, with what that step needs."""

    model_config = ConfigDict(extra="forbid")
    action: Action
    assignee: str | None = Field(default=None, min_length=1, max_length=100)
    reason: str | None = Field(default=None, min_length=1, max_length=500)
    problem: str | None = Field(default=None, min_length=1, max_length=200)
    cause: str | None = Field(default=None, max_length=200)
    remedy: str | None = Field(default=None, max_length=200)
    outcome: Outcome | None = None
    rating: int | None = Field(default=None, ge=1, le=5)
    labour_h: float | None = Field(default=None, ge=0, le=10_000, description="On completion")
    parts: str | None = Field(default=None, max_length=500, description="On completion")
    parts_cost: float | None = Field(
        default=None, ge=0, le=1e9, allow_inf_nan=False, description="On completion"
    )


class WorkOrderStepPublic(BaseModel):
    """One entry of an order's history."""

    model_config = ConfigDict(from_attributes=True)
    at: Utc
    by: str
    action: str
    before: str
    after: str
    note: str


class EscalationPublic(BaseModel):
    """An escalation event: its level, when, and who was told."""

    model_config = ConfigDict(from_attributes=True)
    level: int
    at: Utc
    notified: str


class WorkOrderPublic(BaseModel):
    """A work order as the API shows it."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    asset_id: str
    source: str
    fault: str
    title: str
    priority: str
    policy: str
    team_id: str | None
    assignee: str | None
    state: str
    reported_at: Utc
    reported_by: str
    dispatch_by: Utc
    acknowledge_by: Utc
    on_site_by: Utc
    hold_reason: str | None
    labour_h: float | None = None
    parts_cost: float | None = None
    parts: str | None = None
    problem: str | None
    cause: str | None
    remedy: str | None
    outcome: str | None
    rating: int | None
    steps: list[WorkOrderStepPublic]
    escalations: list[EscalationPublic]


class TeamCreate(BaseModel):
    """A team and who hears of its unanswered orders."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    lead: str = Field(default="", max_length=100)
    supervisor: str = Field(default="", max_length=100)


class RouteCreate(BaseModel):
    """A routing row."""

    model_config = ConfigDict(extra="forbid")
    asset_class: str = Field(min_length=1, max_length=32)
    fault: str = Field(default="*", min_length=1, max_length=100)
    team: str = Field(min_length=1, max_length=64)


class ShiftCreate(BaseModel):
    """A technician's shift."""

    model_config = ConfigDict(extra="forbid")
    technician: str = Field(min_length=1, max_length=100)
    team: str = Field(min_length=1, max_length=64)
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class FailureCodes(BaseModel):
    """Code lists for completing a work order: code -> description."""

    problems: dict[str, str]
    causes: dict[str, str]
    remedies: dict[str, str]


class ContributionPublic(BaseModel):
    """A signal behind a warning: its recent level against the asset's own normal."""

    signal: str
    value: float
    normal: float
    z: float


class WarningPublic(BaseModel):
    """A predictive warning as the API shows it."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    asset_id: str
    failure_mode: str
    state: str
    opened_at: Utc
    updated_at: Utc
    closed_at: Utc | None
    close_reason: str | None
    dismissal: str | None
    verdict: str | None = None
    probability: float
    peak_probability: float
    risk_band: str
    ttf_p10_h: float | None  # hours to failure; null when the model cannot tell
    ttf_p50_h: float | None
    ttf_p90_h: float | None
    contributions: list[ContributionPublic]
    model_version: str
    work_order_id: int | None

    @field_validator("contributions", mode="before")
    @classmethod
    def _parse(cls, v: object) -> object:
        return json.loads(v) if isinstance(v, str) else v


class RiskPublic(BaseModel):
    """An asset's latest evaluation as the scorer keeps it: its risk, the runs of high and
    low evaluations, and whether a person's ruling holds its incident."""

    model_config = ConfigDict(from_attributes=True)
    asset_id: str
    evaluated_at: Utc
    data_until: Utc
    probability: float
    health: float
    risk_band: str
    high_run: int
    low_run: int
    held: bool
    model_version: str


class WarningDismiss(BaseModel):
    """Why a dispatcher dismisses a warning (kept as a label for evaluation)."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=500)


class CommentCreate(BaseModel):
    """A note on a work order's history."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=500)


class PmRuleCreate(BaseModel):
    """A preventive-maintenance rule: on the calendar (every_days or cron, in the site's time
    zone) or on use (every usage_every units of the usage_signal counter), for the assets of
    a class within an age range and of some criticalities (none: any)."""

    model_config = ConfigDict(extra="forbid")
    asset_class: Identifier
    title: str = Field(min_length=1, max_length=200)
    every_days: float | None = Field(default=None, gt=0, le=3650)
    cron: str | None = Field(default=None, min_length=9, max_length=100)
    usage_signal: Identifier | None = None
    usage_every: float | None = Field(default=None, gt=0, le=1e9)
    min_age_years: float = Field(default=0.0, ge=0, le=200)
    max_age_years: float | None = Field(default=None, gt=0, le=200)
    criticality: list[Literal["low", "medium", "high", "critical"]] = Field(default_factory=list)


class PmRulePublic(PmRuleCreate):
    """A rule of the stored plan: its place and since when it runs."""

    position: int
    since: datetime | None


class ComplianceOut(BaseModel):
    """Orders whose deadline came, how many met it, and the share."""

    due: int
    met: int
    pct: float | None


class BacklogOut(BaseModel):
    """Open orders of one team, priority and age bucket."""

    team: str
    priority: str
    age: str
    count: int


class KpisPublic(BaseModel):
    """Maintenance KPIs of a site and/or team over a period."""

    start: Utc
    end: Utc
    site: str | None
    team: str | None
    orders: int
    dispatched_in_time: ComplianceOut
    acknowledged_in_time: ComplianceOut
    on_site_in_time: ComplianceOut
    mtta_min: float | None
    mttr_h: float | None
    backlog: list[BacklogOut]
    overdue: int
    escalated: int
    warnings_confirmed: int
    warnings_false_alarm: int
    failures_missed: int
    warning_precision: float | None
    rated: int = Field(description="Orders rated by their requester")
    bad_rating_share: float | None = Field(description="Share rated 2 or less")
    bad_ratings_flagged: bool = Field(description="True above the service plan's 2 %")
    event_recall: float | None
    availability: dict[str, float]
