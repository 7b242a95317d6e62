"""SQLAlchemy tables, one module per area; imported from here."""

from cloud.tables.base import Base, utcnow
from cloud.tables.people import (
    ActionLink,
    Attachment,
    SignInFailure,
    TeamMember,
    User,
    WebSession,
)
from cloud.tables.registry import (
    AlarmEventRow,
    ApiKey,
    Asset,
    AssetClassRow,
    Gateway,
    GatewayToken,
    IngestedBatch,
    LifecycleRow,
    Signal,
)
from cloud.tables.work import (
    EscalationRow,
    LeaseRow,
    PmRuleRow,
    RiskStateRow,
    RouteRow,
    ShiftRow,
    Team,
    WarningRow,
    WorkOrderRow,
    WorkOrderStep,
)

__all__ = [
    "ActionLink",
    "AlarmEventRow",
    "ApiKey",
    "Asset",
    "AssetClassRow",
    "Attachment",
    "Base",
    "EscalationRow",
    "Gateway",
    "GatewayToken",
    "IngestedBatch",
    "LeaseRow",
    "LifecycleRow",
    "PmRuleRow",
    "RiskStateRow",
    "RouteRow",
    "ShiftRow",
    "SignInFailure",
    "Signal",
    "Team",
    "TeamMember",
    "User",
    "WarningRow",
    "WebSession",
    "WorkOrderRow",
    "WorkOrderStep",
    "utcnow",
]
