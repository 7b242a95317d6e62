"""Service levels: due times stored on the order, and escalation as events with a level."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum

from cloud.workorders.lifecycle import Order, State


class Priority(StrEnum):
    """How urgent an order is; each priority has a policy."""

    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


@dataclass(frozen=True)
class Policy:
    """Seconds from report to dispatch, to the technician's acknowledgement, to arrival."""

    name: str
    dispatch_s: int
    acknowledge_s: int
    on_site_s: int


# "1530": dispatched within 1 minute, confirmed within 5, on site within 30.
POLICIES: dict[Priority, Policy] = {
    Priority.URGENT: Policy("1530", 60, 5 * 60, 30 * 60),
    Priority.HIGH: Policy("high-4h", 15 * 60, 30 * 60, 4 * 3600),
    Priority.NORMAL: Policy("normal-1d", 3600, 4 * 3600, 24 * 3600),
    Priority.LOW: Policy("low-1w", 8 * 3600, 24 * 3600, 7 * 86_400),
}
SUPERVISOR_AFTER = timedelta(hours=2)  # no response at all for this long goes to the supervisor


@dataclass(frozen=True)
class Due:
    """The due times an order carries from the moment it is reported."""

    dispatch_by: datetime
    acknowledge_by: datetime
    on_site_by: datetime


def due_times(reported_at: datetime, policy: Policy) -> Due:
    """Due times measured from the report."""
    return Due(
        reported_at + timedelta(seconds=policy.dispatch_s),
        reported_at + timedelta(seconds=policy.acknowledge_s),
        reported_at + timedelta(seconds=policy.on_site_s),
    )


class Level(IntEnum):
    """Escalation levels: who else hears about an order nobody has answered."""

    NONE = 0
    TEAM_LEAD = 1  # acknowledgement missed: re-notify the technician and tell the team lead
    SUPERVISOR = 2  # no response for two hours


def _answered(order: Order) -> bool:
    return order.state not in (State.REPORTED, State.DISPATCHED)


def level_at(order: Order, reported_at: datetime, due: Due, now: datetime) -> Level:
    """How far an order should have escalated by ``now``."""
    if _answered(order) or order.state is State.CANCELLED:
        return Level.NONE
    # The supervisor hears of an order unanswered for two hours, or for twice its
    # acknowledgement window when that is longer (a normal order may wait four hours).
    if now >= reported_at + max(SUPERVISOR_AFTER, 2 * (due.acknowledge_by - reported_at)):
        return Level.SUPERVISOR
    if now >= due.acknowledge_by:
        return Level.TEAM_LEAD
    return Level.NONE


def escalations_due(reached: Level, already_sent: set[Level]) -> list[Level]:
    """Levels to announce now: each level once, in order (running it twice sends nothing)."""
    return [lv for lv in Level if Level.NONE < lv <= reached and lv not in already_sent]


@dataclass(frozen=True)
class Compliance:
    """Whether each of the three 1530 steps happened in time (None while pending)."""

    dispatched: bool | None
    acknowledged: bool | None
    on_site: bool | None


def compliance(order: Order, due: Due, now: datetime) -> Compliance:
    """Judge an order's steps against its due times (a step still open and late counts late)."""

    def when(state: State) -> datetime | None:
        return next((s.at for s in order.history if s.after is state), None)

    def judge(state: State, by: datetime) -> bool | None:
        at = when(state)
        if at is not None:
            return at <= by
        return False if now > by and order.state is not State.CANCELLED else None

    return Compliance(
        judge(State.DISPATCHED, due.dispatch_by),
        judge(State.ACKNOWLEDGED, due.acknowledge_by),
        judge(State.ON_SITE, due.on_site_by),
    )
