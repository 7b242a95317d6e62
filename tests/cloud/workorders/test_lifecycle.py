"""Work-order lifecycle, service levels and routing: pure logic, with property tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.workorders.lifecycle import (
    MOVES,
    Action,
    FailureCode,
    IllegalTransition,
    Order,
    Outcome,
    State,
    allowed,
    apply,
)
from cloud.workorders.routing import ANY, Route, Shift, on_duty, pick, team_for
from cloud.workorders.sla import (
    POLICIES,
    Level,
    Priority,
    compliance,
    due_times,
    escalations_due,
    level_at,
)

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
CODE = FailureCode("vibration", "bearing wear", "replaced bearing")
ARGS = {
    Action.DISPATCH: {"assignee": "tech-a"},
    Action.HOLD: {"reason": "waiting for parts"},
    Action.COMPLETE: {"failure_code": CODE, "outcome": Outcome.CONFIRMED},
    Action.CANCEL: {"reason": "duplicate report"},
}


def run(actions: list[tuple[Action, int]]) -> tuple[Order, int]:
    """Apply actions (with ratings), counting the accepted ones."""
    order, accepted = Order(), 0
    for i, (action, rating) in enumerate(actions):
        kwargs = dict(ARGS.get(action, {}))
        if action is Action.RATE:
            kwargs["rating"] = rating
        before = order
        try:
            order = apply(order, action, T0 + timedelta(minutes=i), "someone", **kwargs)  # type: ignore[arg-type]
            accepted += 1
        except IllegalTransition:
            assert order is before  # a refused action changes nothing
    return order, accepted


@settings(max_examples=300, derandomize=True)
@given(st.lists(st.tuples(st.sampled_from(list(Action)), st.integers(1, 5)), max_size=30))
def test_no_sequence_reaches_an_illegal_state_or_loses_history(
    actions: list[tuple[Action, int]],
) -> None:
    order, accepted = run(actions)
    assert len(order.history) == accepted
    state = State.REPORTED
    for step in order.history:
        assert step.before is state  # history is a connected chain
        legal = MOVES.get((step.before, step.action))
        if step.action is Action.RATE:
            assert step.before is State.COMPLETED
            assert step.after in (State.CLOSED, State.IN_PROGRESS)
        else:
            assert legal is step.after
        state = step.after
    assert order.state is state
    if State.IN_PROGRESS in [s.after for s in order.history]:
        assert order.state is not State.CANCELLED  # cancel only before work starts
    if order.state in (State.COMPLETED, State.CLOSED):
        assert order.failure_code == CODE and order.outcome is Outcome.CONFIRMED


def test_the_happy_path_and_a_bad_rating() -> None:
    path = [Action.DISPATCH, Action.ACKNOWLEDGE, Action.ARRIVE, Action.START, Action.HOLD]
    path += [Action.RESUME, Action.COMPLETE]
    order, n = run([(a, 5) for a in path] + [(Action.RATE, 2)])
    assert n == 8 and order.state is State.CLOSED and order.rating == 2
    assert order.history[-1].note == "rating 2: follow-up"  # the records open the follow-up
    order, n = run([(a, 5) for a in path] + [(Action.RATE, 4), (Action.RATE, 1)])
    assert n == 8 and order.rating == 4  # rated once


def test_refusals_say_what_is_allowed() -> None:
    with pytest.raises(
        IllegalTransition, match=r"start: not allowed from reported \(allowed: dispatch, cancel\)"
    ):
        apply(Order(), Action.START, T0, "x")
    with pytest.raises(IllegalTransition, match="failure code"):
        o = Order(state=State.IN_PROGRESS)
        apply(o, Action.COMPLETE, T0, "x")
    with pytest.raises(IllegalTransition, match="reason"):
        apply(Order(), Action.CANCEL, T0, "x")
    assert Action.RATE in allowed(State.COMPLETED)


def test_the_1530_due_times_and_escalation_levels() -> None:
    policy = POLICIES[Priority.URGENT]
    assert policy.name == "1530"
    due = due_times(T0, policy)
    assert (due.dispatch_by - T0, due.acknowledge_by - T0, due.on_site_by - T0) == (
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
    )
    order = apply(Order(), Action.DISPATCH, T0 + timedelta(seconds=30), "dispatcher", assignee="t")
    assert level_at(order, T0, due, T0 + timedelta(minutes=4)) is Level.NONE
    assert level_at(order, T0, due, T0 + timedelta(minutes=6)) is Level.TEAM_LEAD
    assert level_at(order, T0, due, T0 + timedelta(hours=2)) is Level.SUPERVISOR
    assert escalations_due(Level.SUPERVISOR, set()) == [Level.TEAM_LEAD, Level.SUPERVISOR]
    assert escalations_due(Level.SUPERVISOR, {Level.TEAM_LEAD}) == [Level.SUPERVISOR]
    assert escalations_due(Level.SUPERVISOR, {Level.TEAM_LEAD, Level.SUPERVISOR}) == []
    acked = apply(order, Action.ACKNOWLEDGE, T0 + timedelta(minutes=7), "t")
    assert level_at(acked, T0, due, T0 + timedelta(hours=3)) is Level.NONE
    c = compliance(acked, due, T0 + timedelta(minutes=40))
    assert (c.dispatched, c.acknowledged, c.on_site) == (True, False, False)


def test_routing_table_and_least_loaded_on_duty_technician() -> None:
    routes = [
        Route("hvac", ANY, "hvac-team"),
        Route("power_room", "arc_flash", "hv-specialists"),
        Route(ANY, ANY, "general"),
    ]
    assert team_for(routes, "hvac", "refrigerant_leak") == "hvac-team"
    assert team_for(routes, "power_room", "arc_flash") == "hv-specialists"
    assert team_for(routes, "pump", "seal_leak") == "general"
    roster = [
        Shift("ann", "hvac-team", T0, T0 + timedelta(hours=8)),
        Shift("bob", "hvac-team", T0, T0 + timedelta(hours=8)),
        Shift("cat", "hvac-team", T0 + timedelta(hours=8), T0 + timedelta(hours=16)),
    ]
    now = T0 + timedelta(hours=1)
    assert on_duty(roster, "hvac-team", now) == ["ann", "bob"]
    assert pick(on_duty(roster, "hvac-team", now), {"ann": 3, "bob": 1}) == "bob"
    assert pick(on_duty(roster, "hvac-team", now), {}) == "ann"
    assert pick(on_duty(roster, "general", now), {}) is None
