"""Preventive maintenance on the calendar and on use: due dates, once each, plan changes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.security import Role
from cloud.tables import Asset, EscalationRow, WorkOrderRow
from cloud.workorders import checker
from cloud.workorders.checker import check_once
from cloud.workorders.pm_rules import PmRule, calendar_due, usage_due
from cloud.workorders.preventive import default_rules, plan_preventive
from tests.cloud.conftest import Cloud

MONDAY_7 = PmRule("elevator", "Weekly", cron="0 7 * * MON", min_age_years=5)


def test_cron_rules_fall_due_at_their_latest_time_in_the_site_zone() -> None:
    tz = ZoneInfo("Asia/Shanghai")
    after = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday, 08:00 in Shanghai
    assert calendar_due(MONDAY_7, after, datetime(2026, 3, 8, 12, tzinfo=UTC), tz) is None
    due = calendar_due(MONDAY_7, after, datetime(2026, 3, 10, 12, tzinfo=UTC), tz)
    assert due == datetime(2026, 3, 9, 7, tzinfo=tz)  # Monday 07:00 local, 23:00 UTC Sunday
    # Missed weeks give one order, for the latest Monday.
    late = calendar_due(MONDAY_7, after, datetime(2026, 3, 31, tzinfo=UTC), tz)
    assert late == datetime(2026, 3, 30, 7, tzinfo=tz)
    quarterly = PmRule("pump", "Q", cron="0 8 1 1,4,7,10 *")
    got = calendar_due(quarterly, after, datetime(2026, 6, 30, tzinfo=UTC), UTC)
    assert got == datetime(2026, 4, 1, 8, tzinfo=UTC)


def test_interval_and_usage_rules() -> None:
    monthly = PmRule("elevator", "Monthly", every_days=30, max_age_years=5)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    assert calendar_due(monthly, t0, t0 + timedelta(days=29), UTC) is None
    assert calendar_due(monthly, t0, t0 + timedelta(days=65), UTC) == t0 + timedelta(days=60)
    hours = PmRule("pump", "Regrease", usage_signal="run_hours", usage_every=4000)
    assert usage_due(hours, 41_900, 41_999) is None
    assert usage_due(hours, 41_900, 44_100) == 44_000
    assert usage_due(hours, 44_000, 47_999) is None
    assert monthly.matches("elevator", date(2024, 1, 1), "low", date(2026, 1, 1))
    assert not monthly.matches("elevator", date(2018, 1, 1), "low", date(2026, 1, 1))
    critical = PmRule("pump", "C", every_days=7, criticality=("critical",))
    assert not critical.matches("pump", date(2020, 1, 1), "medium", date(2026, 1, 1))


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"every_days": 7, "cron": "0 7 * * MON"},
        {"cron": "every monday"},
        {"usage_signal": "run_hours"},
    ],
)
def test_a_rule_needs_exactly_one_valid_trigger(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        PmRule("pump", "x", **kwargs)  # type: ignore[arg-type]


def _lifts(cloud: Cloud, today: date) -> dict[str, float]:
    return {
        a.id: (today - a.install_date).days / 365.25
        for m in cloud.manifests.values()
        for a in m.assets
        if a.asset_class == "elevator"
    }


def _preventive(cloud: Cloud) -> list[WorkOrderRow]:
    factory = cloud.client.app.state.sessions  # type: ignore[attr-defined]
    with factory() as session:
        return list(
            session.scalars(select(WorkOrderRow).where(WorkOrderRow.source == "preventive"))
        )


async def test_old_elevators_weekly_young_ones_monthly_once_per_due_date(cloud: Cloud) -> None:
    admin = cloud.auth(cloud.keys[Role.ADMIN])
    plan = [
        {"asset_class": "elevator", "cron": "0 7 * * MON", "min_age_years": 5, "title": "Weekly"},
        {"asset_class": "elevator", "every_days": 30, "max_age_years": 5, "title": "Monthly"},
    ]
    put = cloud.client.put("/api/v1/pm-rules", json=plan, headers=admin)
    assert put.status_code == 200, put.text
    assert [r["title"] for r in put.json()] == ["Weekly", "Monthly"]
    for bad in (
        [{"asset_class": "toaster", "every_days": 7, "title": "x"}],
        [{"asset_class": "pump", "cron": "at dawn daily", "title": "x"}],
        [{"asset_class": "pump", "every_days": 7, "cron": "0 7 * * MON", "title": "x"}],
        [{"asset_class": "pump", "every_days": 7, "title": "x"}] * 2,
    ):
        assert cloud.client.put("/api/v1/pm-rules", json=bad, headers=admin).status_code == 422
    began = datetime.now(UTC)
    lifts = _lifts(cloud, began.date())
    assert any(age >= 5 for age in lifts.values()) and any(age < 5 for age in lifts.values())
    factory = cloud.client.app.state.sessions  # type: ignore[attr-defined]
    # Five weeks of checks every six hours on an accelerated clock, two checkers at once.
    for step in range(35 * 4):
        now = began + timedelta(hours=6 * step)
        await asyncio.gather(check_once(factory, None, now), check_once(factory, None, now))
    end = began + timedelta(hours=6 * (35 * 4 - 1))
    mondays = sum(
        1
        for d in range(36)
        if began
        < datetime.combine(began.date() + timedelta(days=d), datetime.min.time(), UTC).replace(
            hour=7
        )
        <= end
        and (began.date() + timedelta(days=d)).weekday() == 0
    )
    orders = _preventive(cloud)
    for lift, age in lifts.items():
        mine = [o for o in orders if o.asset_id == lift]
        assert len(mine) == (mondays if age >= 5 else 1), (lift, age, len(mine), mondays)
        dues = [o.pm_due_at for o in mine]
        assert len(set(dues)) == len(dues)
    # A plan change that keeps the weekly rule and adds one neither repeats nor skips.
    plan.append({"asset_class": "pump", "every_days": 14, "title": "Fortnightly"})
    cloud.client.put("/api/v1/pm-rules", json=plan, headers=admin)
    later = end + timedelta(days=7)
    await check_once(factory, None, later)
    after = _preventive(cloud)
    weekly_lifts = [lift for lift, age in lifts.items() if age >= 5]
    for lift in weekly_lifts:
        assert len([o for o in after if o.asset_id == lift]) == mondays + 1
    # The new rule began at the change (the service's wall clock, weeks before ``later``):
    # the fortnights it missed give one order per pump, for the latest of them.
    fortnightly = [o for o in after if o.title == "Fortnightly"]
    pumps = {a.id for m in cloud.manifests.values() for a in m.assets if a.asset_class == "pump"}
    assert sorted(o.asset_id for o in fortnightly) == sorted(pumps)


async def test_rules_on_use_open_an_order_each_multiple_of_the_counter(cloud: Cloud) -> None:
    admin = cloud.auth(cloud.keys[Role.ADMIN])
    plan = [
        {
            "asset_class": "pump",
            "usage_signal": "run_hours",
            "usage_every": 500,
            "title": "Every 500 h",
        }
    ]
    assert cloud.client.put("/api/v1/pm-rules", json=plan, headers=admin).status_code == 200
    readings = {"now": 10_230.0}

    def counters(assets: Sequence[Asset], signal: str, at: datetime | None) -> dict[str, float]:
        assert signal == "run_hours"
        return {a.id: (10_200.0 if at is not None else readings["now"]) for a in assets}

    factory = cloud.client.app.state.sessions  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    with factory() as session:
        assert plan_preventive(session, now, counters) == []  # 10,200 -> 10,230: none yet
        readings["now"] = 10_520.0
        first = plan_preventive(session, now, counters)
        assert first and {o.pm_counter for o in first} == {10_500.0}
        assert plan_preventive(session, now, counters) == []  # once per multiple
        readings["now"] = 11_990.0  # a checker down for a while: the latest multiple only
        second = plan_preventive(session, now, counters)
        assert {o.pm_counter for o in second} == {11_500.0}
        assert plan_preventive(session, now, None) == []  # no store: rules on use wait


def test_the_catalogue_plan_loads_as_the_default() -> None:
    rules = default_rules()
    titles = {r.title for r in rules}
    assert "Weekly elevator inspection (installation older than 5 years)" in titles
    assert any(r.on_use and r.usage_signal == "trip_count" for r in rules)
    assert any(r.cron is not None for r in rules)


async def test_one_check_that_opens_orders_and_escalates_others_announces_both(
    cloud: Cloud,
) -> None:
    admin = cloud.auth(cloud.keys[Role.ADMIN])
    plan = [{"asset_class": "elevator", "every_days": 7, "title": "Weekly"}]
    assert cloud.client.put("/api/v1/pm-rules", json=plan, headers=admin).status_code == 200
    factory = cloud.client.app.state.sessions  # type: ignore[attr-defined]
    began = datetime.now(UTC) + timedelta(days=8)  # the rule's first week has passed
    assert await check_once(factory, None, began) == 0
    first = len(_preventive(cloud))
    assert first == len(_lifts(cloud, began.date()))
    # A week on, nobody having taken the first orders: the next ones open in the same check
    # that escalates the first, and every one of them is announced.
    assert await check_once(factory, None, began + timedelta(days=8)) > 0
    assert len(_preventive(cloud)) == 2 * first


async def test_orders_opened_by_a_check_whose_escalation_lost_the_race_are_announced(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = cloud.auth(cloud.keys[Role.ADMIN])
    plan = [{"asset_class": "elevator", "every_days": 7, "title": "Weekly"}]
    assert cloud.client.put("/api/v1/pm-rules", json=plan, headers=admin).status_code == 200
    factory = cloud.client.app.state.sessions  # type: ignore[attr-defined]

    def lost(session: Session, at: datetime) -> list[EscalationRow]:
        session.scalars(select(WorkOrderRow).limit(1)).all()  # a transaction under way
        session.rollback()  # what escalate does when another checker recorded the levels
        return []

    monkeypatch.setattr(checker, "escalate", lost)
    assert await check_once(factory, None, datetime.now(UTC) + timedelta(days=8)) == 0
    assert len(_preventive(cloud)) == len(_lifts(cloud, datetime.now(UTC).date()))
