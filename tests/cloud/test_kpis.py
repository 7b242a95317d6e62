"""KPIs: the sums on hand-made facts, and the API on orders worked through it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cloud.kpis import OrderFacts, age_bucket, summarise
from cloud.security import Role
from tests.cloud.conftest import Cloud
from tests.cloud.workorders.test_order_records import _setup_routing

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _f(
    i: int,
    source: str,
    steps: dict[str, float],  # action -> minutes after the report
    state: str,
    asset: str = "lift-1",
    outcome: str | None = None,
    at: float = 0.0,  # hours after T0
    escalations: int = 0,
) -> OrderFacts:
    rep = T0 + timedelta(hours=at)
    return OrderFacts(
        i,
        asset,
        "north",
        "lifts",
        "urgent",
        source,
        state,
        outcome,
        rep,
        rep + timedelta(minutes=1),
        rep + timedelta(minutes=5),
        rep + timedelta(minutes=30),
        {a: rep + timedelta(minutes=m) for a, m in steps.items()},
        escalations,
    )


def test_sums_on_known_orders() -> None:
    done = {"dispatch": 0.5, "acknowledge": 3, "arrive": 20, "start": 25, "complete": 85}
    late = {"dispatch": 2, "acknowledge": 9, "arrive": 45, "start": 50, "complete": 170}
    facts = [
        _f(1, "warning", done, "closed", outcome="confirmed", at=0),
        _f(2, "warning", late, "completed", outcome="false_alarm", at=1, escalations=1),
        _f(3, "alarm", done, "completed", asset="lift-2", at=2),  # a failure nobody warned of
        _f(4, "alarm", done, "completed", at=0.5),  # warned of by order 1
        _f(5, "manual", {"dispatch": 0.2}, "dispatched", at=10),  # not acknowledged: overdue
    ]
    end = T0 + timedelta(days=1)
    now = T0 + timedelta(hours=11)
    k = summarise(facts, ["lift-1", "lift-2", "lift-3"], T0, end, now)
    assert k.orders == 5
    assert (k.dispatch.due, k.dispatch.met) == (5, 4)
    assert (k.acknowledge.due, k.acknowledge.met, k.acknowledge.pct) == (5, 3, 60.0)
    assert (k.on_site.due, k.on_site.met) == (5, 3)  # order 5's arrival is due and missed
    assert k.mtta_min == round((3 + 9 + 3 + 3) / 4, 2)
    assert k.mttr_h == round((85 + 170 + 85 + 85) / 60 / 4, 2)
    assert k.backlog == {("lifts", "urgent", "1h-1d"): 1}
    assert k.overdue == 1 and k.escalated == 1
    assert (k.confirmed, k.false_alarms, k.missed) == (1, 1, 1)
    assert k.warning_precision == 0.5 and k.event_recall == 0.5
    # Over the 11 hours of the period so far: lift-2 was down from its alarm to completion
    # (85 min); lift-1 for planned work, its own alarm order and the open report (60 min so
    # far); lift-3 never.
    span = 11 * 3600
    assert k.availability["lift-2"] == round(1 - 85 * 60 / span, 5)
    assert k.availability["lift-3"] == 1.0
    down_1 = (85 - 25) + (170 - 50) + 85 + 60
    assert k.availability["lift-1"] == round(1 - down_1 * 60 / span, 5)
    assert [age_bucket(s) for s in (10, 7200, 200_000, 10**7)] == ["<1h", "1h-1d", "1d-7d", ">7d"]


def test_kpis_through_the_api(cloud: Cloud) -> None:
    asset = _setup_routing(cloud)
    tech = cloud.auth(cloud.keys[Role.TECHNICIAN])
    ids = []
    for title in ("AHU warm", "AHU noisy"):
        r = cloud.client.post(
            "/api/v1/work-orders",
            json={"asset_id": asset, "fault": "no_cooling", "title": title, "priority": "urgent"},
            headers=tech,
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    for body in (
        {"action": "acknowledge"},
        {"action": "arrive"},
        {"action": "start"},
        {
            "action": "complete",
            "problem": "OHE",
            "cause": "2.6",
            "remedy": "repair",
            "outcome": "not_predictive",
        },
    ):
        r = cloud.client.post(f"/api/v1/work-orders/{ids[0]}/actions", json=body, headers=tech)
        assert r.status_code == 200, r.text
    viewer = cloud.auth(cloud.keys[Role.VIEWER])
    k = cloud.client.get("/api/v1/kpis", headers=viewer).json()
    assert k["orders"] == 2
    assert k["dispatched_in_time"] == {"due": 2, "met": 2, "pct": 100.0}
    assert k["acknowledged_in_time"]["met"] == 1  # the second is still within its 5 minutes
    assert k["mtta_min"] is not None and k["mtta_min"] < 1
    assert k["backlog"] == [{"team": "hvac-team", "priority": "urgent", "age": "<1h", "count": 1}]
    assert k["failures_missed"] == 1 and k["event_recall"] == 0.0
    assert 0.99 < k["availability"][asset] <= 1.0  # down for milliseconds of 30 days
    other = cloud.client.get("/api/v1/kpis?team=general", headers=viewer).json()
    assert other["orders"] == 0 and other["availability"] == {}
    bad = cloud.client.get(
        "/api/v1/kpis",
        params={"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
        headers=viewer,
    )
    assert bad.status_code == 422
