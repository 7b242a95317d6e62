"""The scoring loop against the real stores: the same risk as offline, warnings that open
once, survive restarts and resends, and become one routed work order."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from cloud.scoring import loop
from cloud.scoring.loop import Scorer
from cloud.scoring.rounds import score_once
from cloud.security import Role
from cloud.tables import RiskStateRow, WarningRow, WorkOrderRow
from kernel.contract import Batch, Reading
from models.pipeline import FleetModel
from models.registry import load
from plantwatch.quick_model import STEP, caught, hourly
from simulators.config import synthetic_fleet
from simulators.engine import Event, Simulation
from tests.cloud.conftest import Cloud


@dataclass
class Quick:
    """A registered quick model, the fleet the cloud serves, and a failure the model catches."""

    registry: Path
    fleet: FleetModel
    sim: Simulation
    failure: Event
    opens_h: int  # hours before the failure the offline warning opens


@pytest.fixture(scope="module")
def quick(quick_registry: Path) -> Quick:
    fleet, _ = load(quick_registry)
    # the cloud fixture serves synthetic_fleet(8, seed=4); this is the same fleet, run longer
    sim = Simulation(synthetic_fleet(8, seed=4), horizon_days=120)
    failure, opens_h = caught(sim, fleet)
    return Quick(quick_registry, fleet, sim, failure, opens_h)


def _ingest(cloud: Cloud, q: Quick, start: int, end: int, batch_id: str) -> None:
    """Simulated readings of the failing asset every 10 minutes in [start, end), as its gateway."""
    gw = next(
        g for g, m in cloud.manifests.items() if any(a.id == q.failure.asset for a in m.assets)
    )
    t = np.arange(start // STEP * STEP, end, STEP, dtype=np.int64)
    values = q.sim.readings(q.sim.by_id[q.failure.asset], t)
    readings = [
        Reading(q.failure.asset, s, int(ts) * 1000, float(v))
        for s, col in values.items()
        for ts, v in zip(t, col, strict=True)
        if np.isfinite(v)
    ]
    for i in range(0, len(readings), 40_000):
        rsp = cloud.post(
            Batch.of(gw, f"{batch_id}-{i}", readings[i : i + 40_000]), cloud.tokens[gw]
        )
        assert rsp.status_code == 200, rsp.text
    cloud.settle()


def _route_hvac(cloud: Cloud, at: datetime) -> None:
    admin = cloud.auth(cloud.keys[Role.ADMIN])
    assert (
        cloud.client.put(
            "/api/v1/teams/hvac-team", json={"name": "HVAC", "lead": "hana"}, headers=admin
        ).status_code
        == 200
    )
    assert (
        cloud.client.put(
            "/api/v1/teams/general", json={"name": "General", "lead": "gus"}, headers=admin
        ).status_code
        == 200
    )
    rsp = cloud.client.put(
        "/api/v1/routes",
        json=[
            {"asset_class": "hvac", "team": "hvac-team"},
            {"asset_class": "*", "team": "general"},
        ],
        headers=admin,
    )
    assert rsp.status_code == 200
    shift = {
        "technician": "ann",
        "team": "hvac-team",
        "starts_at": (at - timedelta(days=30)).isoformat(),
        "ends_at": (at + timedelta(days=30)).isoformat(),
    }
    assert cloud.client.post("/api/v1/shifts", json=shift, headers=admin).status_code == 201


@pytest.fixture
def scored(cloud: Cloud, quick: Quick) -> Iterator[tuple[Cloud, Quick]]:
    e = quick.failure
    _ingest(cloud, quick, e.ts - 12 * 86400, e.ts, "history")
    yield cloud, quick


def _scorer(cloud: Cloud, q: Quick, at: list[int], partition: tuple[int, int] = (0, 1)) -> Scorer:
    app = cloud.client.app
    return Scorer(
        app.state.sessions,  # type: ignore[attr-defined]
        app.state.store,  # type: ignore[attr-defined]
        q.registry,
        partition,
        clock=lambda: float(at[0]),
    )


def test_a_precursor_opens_one_warning_and_one_routed_order_as_offline_scoring_says(
    scored: tuple[Cloud, Quick],
) -> None:
    cloud, q = scored
    e = q.failure
    _route_hvac(cloud, datetime.fromtimestamp(e.ts, UTC))
    offline = hourly(q.sim, e, q.fleet, 48)
    now = [0]
    scorer = _scorer(cloud, q, now)
    opened_at_h = None
    for i, h in enumerate(range(48, 0, -1)):
        now[0] = e.ts - h * 3600
        if h == 20:  # a restart: a new scorer continues from the stored runs
            scorer = _scorer(cloud, q, now)
        if h == 30:  # the same data delivered again under new batch ids changes nothing
            _ingest(cloud, q, e.ts - 12 * 86400, e.ts, "resent")
        rnd = scorer.score()
        total = sum(len(m.assets) for m in cloud.manifests.values())
        assert rnd.scored == 1 and rnd.stale == total - 1
        with cloud.client.app.state.sessions() as s:  # type: ignore[attr-defined]
            state = s.get(RiskStateRow, e.asset)
            assert state is not None
            assert state.probability == pytest.approx(offline[i].probability, abs=2e-3), h
        if rnd.opened and opened_at_h is None:
            opened_at_h = h
    assert opened_at_h == q.opens_h, "the cloud opens the warning when offline scoring does"
    headers = cloud.auth(cloud.keys[Role.VIEWER])
    warnings = cloud.client.get("/api/v1/warnings", headers=headers).json()
    assert len(warnings) == 1
    w = warnings[0]
    assert w["asset_id"] == e.asset and w["state"] == "open"
    assert w["probability"] >= q.fleet.threshold and w["contributions"]
    assert w["ttf_p10_h"] <= w["ttf_p50_h"] <= w["ttf_p90_h"]
    orders = cloud.client.get("/api/v1/work-orders", headers=headers).json()
    assert [o["id"] for o in orders] == [w["work_order_id"]]
    assert orders[0]["source"] == "warning"
    assert orders[0]["team_id"] == "hvac-team" and orders[0]["assignee"] == "ann"
    assert orders[0]["state"] == "dispatched"
    # the order says when the failure is expected, with the interval's earliest and latest
    lo, mid, hi = offline[48 - q.opens_h].hours_to_failure
    said = re.search(r"expected in (\d+) h \((\d+)-(\d+) h\)", orders[0]["title"])
    assert said is not None, orders[0]["title"]
    assert [float(x) for x in said.groups()] == pytest.approx([mid, lo, hi], abs=1.01)


def test_completion_closes_the_warning_and_dismissal_cancels_its_order(
    scored: tuple[Cloud, Quick],
) -> None:
    cloud, q = scored
    e = q.failure
    now = [e.ts - (q.opens_h + 3) * 3600]
    scorer = _scorer(cloud, q, now)
    for _ in range(4):
        now[0] += 3600
        scorer.score()
    sessions = cloud.client.app.state.sessions  # type: ignore[attr-defined]
    with sessions() as s:
        (w,) = s.scalars(select(WarningRow)).all()
        order = s.get(WorkOrderRow, w.work_order_id)
        assert order is not None and order.team_id is None  # no routing table in this test
        first = w.work_order_id
    disp = cloud.auth(cloud.keys[Role.DISPATCHER])
    for body in (
        {"action": "dispatch", "assignee": "ann"},
        {"action": "acknowledge"},
        {"action": "arrive"},
        {"action": "start"},
        {
            "action": "complete",
            "problem": "VIB",
            "cause": "1.3",
            "remedy": "replace",
            "outcome": "confirmed",
        },
    ):
        rsp = cloud.client.post(f"/api/v1/work-orders/{first}/actions", json=body, headers=disp)
        assert rsp.status_code == 200, (body, rsp.text)
    with sessions() as s:
        (closed,) = s.scalars(select(WarningRow)).all()
        assert closed.state == "closed" and closed.close_reason == "completed"
        assert closed.verdict == "confirmed"  # the technician's finding labels the warning
    got = cloud.client.get("/api/v1/warnings", headers=disp).json()
    assert [w["verdict"] for w in got if w["work_order_id"] == first] == ["confirmed"]
    # The repair restarts what is normal: a risk still high after it is a new warning.
    now[0] += 3600
    scorer.score()
    with sessions() as s:
        rows = s.scalars(select(WarningRow).order_by(WarningRow.id)).all()
        assert [r.state for r in rows] == ["closed", "open"]
        assert rows[1].work_order_id != first
        w = rows[1]
    rsp = cloud.client.post(
        f"/api/v1/warnings/{w.id}/dismiss", json={"reason": "sensor recalibrated"}, headers=disp
    )
    assert rsp.status_code == 200, rsp.text
    assert rsp.json()["close_reason"] == "dismissed"
    assert rsp.json()["dismissal"] == "sensor recalibrated"
    again = cloud.client.post(
        f"/api/v1/warnings/{w.id}/dismiss", json={"reason": "twice"}, headers=disp
    )
    assert again.status_code == 409
    got = cloud.client.get(f"/api/v1/work-orders/{w.work_order_id}", headers=disp).json()
    assert got["state"] == "cancelled" and "sensor recalibrated" in got["steps"][-1]["note"]
    # Still high, but the dispatcher ruled it out: no new warning or order until the risk
    # falls (the dismissed one stays closed as a label).
    for _ in range(2):
        now[0] += 3600
        scorer.score()
    with sessions() as s:
        assert [r.state for r in s.scalars(select(WarningRow))] == ["closed", "closed"]
        assert len(s.scalars(select(WorkOrderRow)).all()) == 2
        state = s.get(RiskStateRow, e.asset)
        assert state is not None and state.held and state.high_run >= 2
    # the held incident is not lost from sight: the risk list shows it, riskiest first
    viewer = cloud.auth(cloud.keys[Role.VIEWER])
    risk = cloud.client.get("/api/v1/risk", params={"held": "true"}, headers=viewer)
    assert risk.status_code == 200, risk.text
    (row,) = risk.json()
    assert row["asset_id"] == e.asset and row["held"] is True and row["high_run"] >= 2
    assert row["probability"] >= q.fleet.threshold and row["risk_band"] in ("high", "critical")
    everyone = cloud.client.get("/api/v1/risk", headers=viewer).json()
    assert [r["probability"] for r in everyone] == sorted(
        (r["probability"] for r in everyone), reverse=True
    )
    assert cloud.client.get("/api/v1/risk", params={"held": "false"}, headers=viewer).json() == [
        r for r in everyone if not r["held"]
    ]
    assert cloud.client.get("/api/v1/risk").status_code == 401


def test_partitions_split_the_fleet_between_scorers(scored: tuple[Cloud, Quick]) -> None:
    cloud, q = scored
    now = [q.failure.ts - 3600]
    counts = [_scorer(cloud, q, now, (i, 2)).score() for i in range(2)]
    assert sum(r.assets for r in counts) == sum(len(m.assets) for m in cloud.manifests.values())
    assert all(r.assets > 0 for r in counts)
    assert sum(r.scored for r in counts) == 1


def test_a_model_trained_with_a_noisy_donor_is_announced_with_its_caution(
    cloud: Cloud, quick: Quick, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    registry = tmp_path / "registry"
    shutil.copytree(quick.registry, registry)
    (meta_file,) = registry.glob("*/meta.json")
    caution = "the donor (x) missed its targets on its own unseen assets: precision 0.26"
    meta = json.loads(meta_file.read_text())
    meta_file.write_text(json.dumps({**meta, "donor_caution": caution}))
    q = Quick(registry, quick.fleet, quick.sim, quick.failure, quick.opens_h)
    with caplog.at_level(logging.INFO, logger=loop.log.name):
        loaded = _scorer(cloud, q, [quick.failure.ts]).model()
    assert loaded is not None
    version = loaded[0]
    assert version == meta_file.parent.name
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warned] == [f"model {version}: {caution}"]


def test_a_round_scores_the_instant_its_settle_time_before_it(
    scored: tuple[Cloud, Quick],
) -> None:
    """Readings younger than the settle time (the whole history is stored here, as if every
    later reading had already arrived) do not change the round's verdict."""
    cloud, q = scored
    e = q.failure
    at = e.ts - q.opens_h * 3600
    offline = hourly(q.sim, e, q.fleet, q.opens_h)[0]
    assert offline.probability > 0.05, "an instant whose risk says something"
    now = [at + 1800]
    scorer = _scorer(cloud, q, now)
    scorer.settle_s = 1800
    assert scorer.score().scored == 1
    with cloud.client.app.state.sessions() as s:  # type: ignore[attr-defined]
        state = s.get(RiskStateRow, e.asset)
        assert state is not None
        assert state.probability == pytest.approx(offline.probability, abs=2e-3)
        assert state.data_until.replace(tzinfo=UTC).timestamp() <= at
        assert state.evaluated_at.replace(tzinfo=UTC).timestamp() == now[0]


def test_chunks_read_ahead_score_as_offline_scoring_does(
    scored: tuple[Cloud, Quick], monkeypatch: pytest.MonkeyPatch
) -> None:
    cloud, q = scored
    e = q.failure
    monkeypatch.setattr(loop, "READ_CHUNK", 3)  # several chunks: each read while one is scored
    now = [e.ts - 3600]
    scorer = _scorer(cloud, q, now)
    plan = scorer.plan()
    assert plan is not None and plan.cold and len(plan.chunks) > 2
    scorer._rounds = 0  # the round below is the first: a full read
    rnd = asyncio.run(score_once(scorer))
    assert rnd.assets == sum(len(m.assets) for m in cloud.manifests.values())
    assert rnd.scored == 1
    with cloud.client.app.state.sessions() as s:  # type: ignore[attr-defined]
        state = s.get(RiskStateRow, e.asset)
        assert state is not None
        offline = hourly(q.sim, e, q.fleet, 1)[0]
        assert state.probability == pytest.approx(offline.probability, abs=2e-3)


def test_a_gateways_backlog_is_scored_in_the_next_round_not_at_the_next_full_read(
    cloud: Cloud, quick: Quick
) -> None:
    e = quick.failure
    first = e.ts - 4 * 3600
    now = [first]
    _ingest(cloud, quick, first - 2 * 3600, first + 3600, "live")
    scorer = _scorer(cloud, quick, now)
    assert scorer.score().scored == 1  # the first round: a full read of two hours' data
    # the gateway comes back from an outage and drains its spool: 12 days of older readings
    _ingest(cloud, quick, e.ts - 12 * 86400, first - 2 * 3600, "backlog")
    now[0] = first + 3600
    assert scorer.score().scored == 1
    (offline,) = hourly(quick.sim, e, quick.fleet, 3)[:1]
    with cloud.client.app.state.sessions() as s:  # type: ignore[attr-defined]
        state = s.get(RiskStateRow, e.asset)
        assert state is not None
        assert state.probability == pytest.approx(offline.probability, abs=2e-3)


def test_runs_of_evaluations_open_update_and_close_a_warning(cloud: Cloud) -> None:
    from cloud.warnings.warning_records import record
    from models.score import Assessment, Contribution
    from models.warning_rule import WarningRule

    asset = cloud.manifests["gw-a"].assets[0].id
    rules = WarningRule(consecutive=2, close_after=3, every_s=3600)
    sessions = cloud.client.app.state.sessions  # type: ignore[attr-defined]

    def evaluate(
        hour: int, p: float, mode: str = "seal_leak", ttf: tuple[float, ...] = (5.0, 20.0, 40.0)
    ) -> list[str]:
        a = Assessment(
            asset,
            hour * 3600,
            p,
            "high" if p >= 0.5 else "low",
            p >= 0.5,
            mode,
            (ttf[0], ttf[1], ttf[2]),
            0.1,
            [Contribution("vibration_rms", 9.0, 4.0, 3.5)] if p >= 0.5 else [],
            "v1",
        )
        at = datetime.fromtimestamp(1_750_000_000 + hour * 3600, UTC)
        with sessions() as s:
            ch = record(s, [a], {asset: 1_750_000_000 + hour * 3600}, rules, at)
            return [f"opened {w.id}" for w in ch.opened] + [f"closed {w.id}" for w in ch.closed]

    assert evaluate(0, 0.9) == []  # one high evaluation is not enough
    assert evaluate(1, 0.9) == ["opened 1"]
    assert evaluate(2, 0.95, "bearing_wear") == []  # the same incident, updated
    assert evaluate(3, 0.1) == [] and evaluate(4, 0.2) == []
    assert evaluate(5, 0.1) == ["closed 1"]  # three low ones in a row
    with sessions() as s:
        (w,) = s.scalars(select(WarningRow)).all()
        assert w.close_reason == "risk_low" and w.peak_probability == 0.95
        assert w.failure_mode == "bearing_wear" and "vibration_rms" in w.contributions
        assert len(s.scalars(select(WorkOrderRow)).all()) == 1
    # a class without a time-to-failure model: the order says so rather than "nan h"
    nan = (float("nan"),) * 3
    assert evaluate(6, 0.9, ttf=nan) == [] and evaluate(7, 0.9, ttf=nan) == ["opened 2"]
    with sessions() as s:
        titles = [o.title for o in s.scalars(select(WorkOrderRow).order_by(WorkOrderRow.id))]
    assert titles[0].endswith("p=0.90, expected in 20 h (5-40 h)")
    assert titles[1].endswith("p=0.90, time to failure not known")
    body = cloud.client.get("/api/v1/warnings", headers=cloud.auth(cloud.keys[Role.VIEWER]))
    assert body.status_code == 200, body.text
    unknown = next(w for w in body.json() if w["id"] == 2)
    assert [unknown[f"ttf_p{q}_h"] for q in (10, 50, 90)] == [None, None, None]


def test_a_warning_a_person_ends_holds_its_incident_until_the_risk_falls(cloud: Cloud) -> None:
    from cloud.warnings.warning_records import dismiss, record
    from cloud.workorders import lifecycle as lc
    from cloud.workorders import order_records as orders
    from cloud.workorders.sla import Priority
    from models.score import Assessment
    from models.warning_rule import WarningRule

    asset = cloud.manifests["gw-a"].assets[0].id
    rules = WarningRule(consecutive=2, close_after=3, every_s=3600)
    sessions = cloud.client.app.state.sessions  # type: ignore[attr-defined]

    def at(hour: int) -> datetime:
        return datetime.fromtimestamp(1_750_000_000 + hour * 3600, UTC)

    def evaluate(hour: int, p: float) -> list[str]:
        a = Assessment(asset, hour * 3600, p, "high", p >= 0.5, "seal_leak", (5, 20, 40), 0.1)
        with sessions() as s:
            ch = record(s, [a], {asset: 1_750_000_000 + hour * 3600}, rules, at(hour))
            return [f"opened {w.id}" for w in ch.opened] + [f"closed {w.id}" for w in ch.closed]

    def complete(warning_id: int, hour: int, outcome: lc.Outcome) -> None:
        with sessions() as s:
            w = s.get(WarningRow, warning_id)
            assert w is not None and w.work_order_id is not None
        finish(w.work_order_id, hour, outcome)

    def finish(order_id: int, hour: int, outcome: lc.Outcome) -> None:
        with sessions() as s:
            orders.act(s, order_id, lc.Action.DISPATCH, "dina", at(hour), assignee="tom")
            for action in (lc.Action.ACKNOWLEDGE, lc.Action.ARRIVE, lc.Action.START):
                orders.act(s, order_id, action, "tom", at(hour))
            code = lc.FailureCode("OTH", "7.0", "check")
            orders.act(
                s, order_id, lc.Action.COMPLETE, "tom", at(hour), failure_code=code, outcome=outcome
            )

    def held() -> bool:
        with sessions() as s:
            state = s.get(RiskStateRow, asset)
            assert state is not None
            return state.held

    assert evaluate(0, 0.9) == [] and evaluate(1, 0.9) == ["opened 1"]
    with sessions() as s:
        dismiss(s, 1, "sensor recalibrated", "dina", at(1))
    assert held()
    # still high: the dispatcher is not paged again for what they just ruled out
    assert [evaluate(h, 0.9) for h in range(2, 8)] == [[]] * 6
    assert evaluate(8, 0.1) == [] and evaluate(9, 0.1) == [] and held()
    assert evaluate(10, 0.1) == [] and not held()  # low long enough: the incident ended
    assert evaluate(11, 0.9) == [] and evaluate(12, 0.9) == ["opened 2"]
    # a technician who found nothing holds the incident the same way
    complete(2, 13, lc.Outcome.NOTHING_FOUND)
    assert held() and evaluate(14, 0.9) == [] and evaluate(15, 0.9) == []
    for h in (16, 17, 18):
        evaluate(h, 0.1)
    assert not held() and evaluate(19, 0.9) == [] and evaluate(20, 0.9) == ["opened 3"]
    # a confirmed repair restarts what is normal: a risk still high after it is a new incident
    complete(3, 21, lc.Outcome.CONFIRMED)
    assert not held() and evaluate(22, 0.9) == ["opened 4"]
    # and so does any maintenance or repair on the asset while its incident is held
    complete(4, 23, lc.Outcome.FALSE_ALARM)
    assert held() and evaluate(24, 0.9) == []
    with sessions() as s:
        service = orders.Report(asset, "preventive", "service", "service", Priority.LOW)
        pm = orders.report(s, service, "planner", at(25)).id
    finish(pm, 25, lc.Outcome.NOT_PREDICTIVE)
    assert not held() and evaluate(26, 0.9) == ["opened 5"]
    with sessions() as s:
        rows = s.scalars(select(WarningRow).order_by(WarningRow.id)).all()
        assert [(w.close_reason, w.verdict) for w in rows] == [
            ("dismissed", None),
            ("completed", "nothing_found"),
            ("completed", "confirmed"),
            ("completed", "false_alarm"),
            (None, None),
        ]
