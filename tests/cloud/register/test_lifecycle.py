"""Lifecycle cost: repairs, downtime, availability and the 30 % replacement rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from cloud.register.lifecycle import OrderCost, Policy, lifecycle
from cloud.security import Role
from cloud.tables import Asset
from tests.cloud.conftest import Cloud

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _asset(value: float | None = 20_000.0) -> Asset:
    return Asset(
        id="lift-1",
        asset_class="elevator",
        install_date=date(2016, 6, 1),
        purchase_value=value,
        currency="CNY",
    )


def _repair(days_ago: float, hours: float, labour_h: float, parts: float) -> OrderCost:
    at = NOW - timedelta(days=days_ago)
    return OrderCost("warning", at, at + timedelta(hours=hours), labour_h, parts)


def test_repairs_within_three_years_over_30_percent_of_the_value_recommend_replacement() -> None:
    policy = Policy(labour_rate=100.0, years=3, share=0.3)
    old = _repair(4 * 365, 10, 10, 9_000)  # outside the window: counts for cost, not the rule
    recent = [_repair(400, 24, 8, 2_000), _repair(100, 12, 4, 1_600)]
    pm = OrderCost("preventive", NOW - timedelta(days=30), NOW - timedelta(days=30), 2, 0)
    below = lifecycle(_asset(), [old, *recent, pm], NOW, policy)
    assert below.recent_repair_cost == 800 + 2_000 + 400 + 1_600
    assert not below.replace and "within 30%" in below.reason
    assert (below.corrective, below.preventive) == (3, 1)
    assert below.repair_cost == below.recent_repair_cost + 1_000 + 9_000
    assert below.maintenance_cost == below.repair_cost + 200
    assert below.downtime_h == 10 + 24 + 12
    window_h = 3 * 365.25 * 24
    assert abs(below.availability - (1 - 36 / window_h)) < 1e-5
    expected = (20_000 + below.maintenance_cost) / below.years_in_service
    assert below.cost_per_year is not None and abs(below.cost_per_year - expected) < 1.0
    above = lifecycle(_asset(), [old, *recent, pm, _repair(10, 6, 5, 1_500)], NOW, policy)
    assert above.replace and "over 30%" in above.reason and "(6,000)" in above.reason


def test_without_a_purchase_value_there_is_no_recommendation() -> None:
    fig = lifecycle(_asset(None), [_repair(10, 1, 1, 50_000)], NOW, Policy())
    assert not fig.replace and fig.reason == "no purchase value in the register"
    assert fig.cost_per_year is None


def _complete(cloud: Cloud, asset_id: str, fault: str, labour_h: float, parts_cost: float) -> None:
    admin = cloud.auth(cloud.keys[Role.ADMIN])
    rsp = cloud.client.post(
        "/api/v1/work-orders",
        json={"asset_id": asset_id, "fault": fault, "title": fault, "priority": "high"},
        headers=admin,
    )
    assert rsp.status_code == 201, rsp.text
    order = rsp.json()["id"]
    for body in (
        {"action": "dispatch", "assignee": "bob"},
        {"action": "acknowledge"},
        {"action": "arrive"},
        {"action": "start"},
        {
            "action": "complete",
            "problem": "BRD",
            "cause": "2.4",
            "remedy": "repair",
            "outcome": "not_predictive",
            "labour_h": labour_h,
            "parts_cost": parts_cost,
        },
    ):
        step = cloud.client.post(f"/api/v1/work-orders/{order}/actions", json=body, headers=admin)
        assert step.status_code == 200, (body, step.text)


def test_the_register_and_the_orders_give_the_replacement_candidates(cloud: Cloud) -> None:
    admin = cloud.auth(cloud.keys[Role.ADMIN])
    entry = {
        "id": "boiler-7",
        "site": "site01",
        "building": "b01",
        "room": "plant",
        "class": "boiler",
        "model": "thermoflow-tb400",
        "install_date": "2012-09-01",
        "purchase_value": 10_000,
        "currency": "CNY",
    }
    assert (
        cloud.client.put("/api/v1/register/boiler-7", json=entry, headers=admin).status_code == 200
    )
    _complete(cloud, "boiler-7", "lockout", labour_h=0, parts_cost=1_800)
    first = cloud.client.get("/api/v1/assets/boiler-7/lifecycle", headers=admin).json()
    assert (first["corrective"], first["repair_cost"], first["replace"]) == (1, 1_800, False)
    _complete(cloud, "boiler-7", "leak", labour_h=0, parts_cost=1_500)
    after = cloud.client.get("/api/v1/assets/boiler-7/lifecycle", headers=admin).json()
    assert after["replace"] and after["recent_repair_cost"] == 3_300, after
    candidates = cloud.client.get("/api/v1/lifecycle", params={"replace_only": True}, headers=admin)
    assert [c["asset_id"] for c in candidates.json()] == ["boiler-7"]
    csv_text = cloud.client.get("/api/v1/lifecycle", params={"format": "csv"}, headers=admin).text
    header, *lines = csv_text.lstrip("\ufeff").splitlines()
    assert header.startswith("asset_id,asset_class,currency,purchase_value")
    assert any(
        line.startswith("boiler-7,boiler,CNY,10000.0") and ",True," in line for line in lines
    )
    assert len(lines) == 9  # the fleet's eight assets and the registered boiler
