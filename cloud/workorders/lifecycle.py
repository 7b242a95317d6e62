"""The work-order state machine: pure functions on values, every transition kept in history.

reported -> dispatched -> acknowledged -> on_site -> in_progress <-> on_hold
                                                        |
                                                    completed -> closed (rated)
                                                    (a rating of 2 or less closes it too,
                                                     and opens a follow-up for the team lead)
cancelled: from any state before in_progress
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum


class State(StrEnum):
    """Where a work order stands."""

    REPORTED = "reported"
    DISPATCHED = "dispatched"
    ACKNOWLEDGED = "acknowledged"
    ON_SITE = "on_site"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    COMPLETED = "completed"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Action(StrEnum):
    """What a person (or the dispatcher) does to a work order."""

    DISPATCH = "dispatch"
    ACKNOWLEDGE = "acknowledge"
    ARRIVE = "arrive"
    START = "start"
    HOLD = "hold"
    RESUME = "resume"
    COMPLETE = "complete"
    RATE = "rate"
    CANCEL = "cancel"


BEFORE_WORK = (State.REPORTED, State.DISPATCHED, State.ACKNOWLEDGED, State.ON_SITE)
MOVES: dict[tuple[State, Action], State] = {
    (State.REPORTED, Action.DISPATCH): State.DISPATCHED,
    (State.DISPATCHED, Action.DISPATCH): State.DISPATCHED,  # re-assignment
    (State.DISPATCHED, Action.ACKNOWLEDGE): State.ACKNOWLEDGED,
    (State.ACKNOWLEDGED, Action.ARRIVE): State.ON_SITE,
    (State.ON_SITE, Action.START): State.IN_PROGRESS,
    (State.IN_PROGRESS, Action.HOLD): State.ON_HOLD,
    (State.ON_HOLD, Action.RESUME): State.IN_PROGRESS,
    (State.IN_PROGRESS, Action.COMPLETE): State.COMPLETED,
    **{(s, Action.CANCEL): State.CANCELLED for s in BEFORE_WORK},
}
FOLLOW_UP_AT = 2  # a rating this low or lower opens a follow-up order for the team lead


class Outcome(StrEnum):
    """What the technician found, for predictive orders: did the model get it right?"""

    CONFIRMED = "confirmed"
    FALSE_ALARM = "false_alarm"
    NOTHING_FOUND = "nothing_found"  # no fault found: neither confirmed nor disproved
    NOT_PREDICTIVE = "not_predictive"


@dataclass(frozen=True)
class FailureCode:
    """ISO 14224 style: what failed, why, and what was done."""

    problem: str
    cause: str
    remedy: str


@dataclass(frozen=True)
class Step:
    """One accepted transition, attributed and timestamped."""

    at: datetime
    by: str
    action: Action
    before: State
    after: State
    note: str = ""


@dataclass(frozen=True)
class Order:
    """A work order's lifecycle fields (the rest lives with the stored row)."""

    state: State = State.REPORTED
    assignee: str | None = None
    hold_reason: str | None = None
    failure_code: FailureCode | None = None
    outcome: Outcome | None = None
    rating: int | None = None
    history: tuple[Step, ...] = field(default_factory=tuple)


class IllegalTransition(ValueError):
    """The action is not allowed in the order's current state, or lacks what it needs."""


def allowed(state: State) -> list[Action]:
    """Actions possible from ``state``."""
    acts = [a for (s, a) in MOVES if s is state]
    if state is State.COMPLETED:
        acts.append(Action.RATE)
    return acts


def apply(
    order: Order,
    action: Action,
    at: datetime,
    by: str,
    *,
    assignee: str | None = None,
    reason: str | None = None,
    failure_code: FailureCode | None = None,
    outcome: Outcome | None = None,
    rating: int | None = None,
) -> Order:
    """The order after ``action``; raises IllegalTransition and leaves ``order`` unchanged."""
    before = order.state
    if action is Action.RATE:
        if before is not State.COMPLETED:
            raise IllegalTransition(f"rate: only a completed order can be rated (it is {before})")
        if rating is None or not 1 <= rating <= 5:
            raise IllegalTransition("rate: a rating from 1 to 5 is required")
        note = f"rating {rating}" + (": follow-up" if rating <= FOLLOW_UP_AT else "")
        return _step(replace(order, rating=rating), action, at, by, State.CLOSED, note)
    after_or_none = MOVES.get((before, action))
    if after_or_none is None:
        can = ", ".join(allowed(before)) or "nothing"
        raise IllegalTransition(f"{action}: not allowed from {before} (allowed: {can})")
    after = after_or_none
    if action is Action.DISPATCH:
        if not assignee:
            raise IllegalTransition("dispatch: an assignee is required")
        return _step(replace(order, assignee=assignee), action, at, by, after, f"to {assignee}")
    if action is Action.HOLD:
        if not reason:
            raise IllegalTransition("hold: a reason is required")
        return _step(replace(order, hold_reason=reason), action, at, by, after, reason)
    if action is Action.RESUME:
        return _step(replace(order, hold_reason=None), action, at, by, after)
    if action is Action.COMPLETE:
        if failure_code is None or outcome is None:
            raise IllegalTransition("complete: a failure code and an outcome are required")
        done = replace(order, failure_code=failure_code, outcome=outcome)
        return _step(done, action, at, by, after, f"{failure_code.problem}; {outcome}")
    if action is Action.CANCEL and not reason:
        raise IllegalTransition("cancel: a reason is required")
    return _step(order, action, at, by, after, reason or "")


def _step(
    order: Order, action: Action, at: datetime, by: str, after: State, note: str = ""
) -> Order:
    if order.history and at < order.history[-1].at:
        raise IllegalTransition(f"{action}: {at} is before the last step")
    step = Step(at, by, action, order.state, after, note)
    return replace(order, state=after, history=(*order.history, step))
