"""API schemas, one per direction: *Create/*Update come in, *Public goes out."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from cloud.security import Role
from cloud.workorders.lifecycle import Action, Outcome
from cloud.workorders.sla import Priority
from kernel.contract import AssetClass, Identifier

# SQLite hands stored times back without their zone; everything stored is UTC, and every
# time the API shows carries its zone.
Utc = Annotated[
    datetime, AfterValidator(lambda t: t if t.tzinfo is not None else t.replace(tzinfo=UTC))
]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    """Why a request was refused."""

    detail: str
    reason: str = Field(description="Machine-readable reason, also the metrics label")
    items: list[str] = Field(default_factory=list, description="The offending items, if any")


class IngestAck(BaseModel):
    """A batch is durable in the time-series store (or was already)."""

    batch_id: str
    accepted: int
    duplicate: bool


class ManifestAck(BaseModel):
    """The registry now matches the gateway's manifest."""

    gateway_id: str
    assets: int
    signals: int
    manifest_version: int


class SignalPublic(_Out):
    """A registered signal."""

    name: str
    unit: str
    min: float | None
    max: float | None


class AssetPublic(_Out):
    """A registered asset."""

    id: str
    gateway_id: str
    site: str
    building: str
    room: str
    asset_class: AssetClass
    model: str
    install_date: date
    retired: bool
    notes: str
    updated_at: Utc
    signals: list[SignalPublic]


class AssetUpdate(_In):
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


class GatewayCreate(_In):
    """A new gateway."""

    id: Identifier
    description: str = Field(default="", max_length=200)


class TokenPublic(_Out):
    """A gateway token as it may be listed: prefix only."""

    prefix: str
    created_at: Utc
    revoked_at: Utc | None


class GatewayPublic(_Out):
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


class ApiKeyCreate(_In):
    """A new API key."""

    name: str = Field(min_length=1, max_length=100)
    role: Role


class ApiKeyPublic(_Out):
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


class AlarmEventPublic(_Out):
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


class WarningDismiss(BaseModel):
    """Why a dispatcher dismisses a warning (kept as a label for evaluation)."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=500)


class CommentCreate(BaseModel):
    """A note on a work order's history."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=500)


class PmRuleCreate(BaseModel):
    """A preventive-maintenance rule: inspect a class (older than an age) every so many days."""

    model_config = ConfigDict(extra="forbid")
    asset_class: AssetClass
    every_days: float = Field(gt=0, le=3650)
    min_age_years: float = Field(default=0.0, ge=0, le=200)
    title: str = Field(min_length=1, max_length=200)


class PmRulePublic(BaseModel):
    """A rule of the stored plan: its place (the first match applies) and since when it runs."""

    position: int
    asset_class: str
    every_days: float
    min_age_years: float
    title: str
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
    event_recall: float | None
    availability: dict[str, float]
