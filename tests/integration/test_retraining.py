"""Two retraining rounds on the cloud: the history stored in the cloud's time-series store and
what the technicians recorded go out in the generic format, a challenger is trained on it
and put in service only when it beats the model in service; the second round's verdicts
(faults confirmed on predicted orders) reach the training labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from sqlalchemy.orm import Session, sessionmaker

from cloud import crud
from cloud.db import make_engine, migrate, session_factory
from cloud.retraining import last_round, round_once
from cloud.storage.base import Rows, SeriesTags
from cloud.storage.embedded import EmbeddedStore
from cloud.tables import WarningRow
from cloud.workorders import lifecycle as lc
from cloud.workorders import order_records as orders
from cloud.workorders import teams
from cloud.workorders.sla import Priority
from models import registry
from models.data import load_dataset
from simulators.config import synthetic_fleet
from simulators.engine import Simulation
from simulators.export import export
from tests.cloud.conftest import fleet_manifests

pytestmark = pytest.mark.integration
H = timedelta(hours=1)


def _store_history(sim: Simulation, store: EmbeddedStore, tmp: Path) -> None:
    """The fleet's readings into the cloud's store, as ingest would have written them."""
    export(sim, tmp, 600)
    table = pq.read_table(tmp / "telemetry.parquet")

    def codes(column: str) -> tuple[np.ndarray, list[str]]:
        encoded = pc.dictionary_encode(pc.cast(table[column], "string")).combine_chunks()
        return encoded.indices.to_numpy(), encoded.dictionary.to_pylist()

    asset_of, asset_ids = codes("asset")
    signal_of, signal_names = codes("signal")
    seconds = table["ts"].cast(pa.timestamp("s", tz="UTC")).cast(pa.int64()).to_numpy()
    values = table["value"].to_numpy()
    finite = np.isfinite(values)
    for asset in sim.assets:
        mine = finite & (asset_of == asset_ids.index(asset.id))
        present = np.unique(signal_of[mine])
        tags = {
            asset.id: SeriesTags(
                asset.asset_class, asset.site.id, asset.building, asset.room, asset.id
            )
        }
        rows = Rows(
            series=[(asset.id, signal_names[c]) for c in present],
            index=np.searchsorted(present, signal_of[mine]).astype(np.uint32),
            ts=seconds[mine] * 1000,
            value=values[mine],
            quality=np.zeros(int(mine.sum()), np.uint32),
        )
        store.write(tags, rows)


def _work(sessions: sessionmaker[Session], sim: Simulation, verdicts: bool) -> tuple[int, int]:
    """Without ``verdicts``: the routine maintenance and a completed corrective order for
    every third failure, repaired when the simulation repaired it. With them: the other
    failures as predicted orders whose technician confirmed the fault on site."""
    corrective = confirmed = 0
    with sessions() as s:
        for asset in sim.assets:
            events = sim.events(asset)
            failures = [e for e in events if e.kind == "failure"]
            for i, e in enumerate(failures):
                at, repaired = (datetime.fromtimestamp(x, UTC) for x in (e.ts, e.end))
                if i % 3 == 0 and not verdicts:
                    rep = orders.Report(asset.id, "manual", e.mode, f"{e.mode}", Priority.URGENT)
                    _finish(s, orders.report(s, rep, "rita", at).id, at, repaired, None)
                    corrective += 1
                elif i % 3 != 0 and verdicts:
                    warned = at - 2 * H
                    rep = orders.Report(asset.id, "warning", e.mode, e.mode, Priority.HIGH)
                    row = orders.report(s, rep, "scorer", warned)
                    s.add(_warning(asset.id, e.mode, warned, row.id))
                    s.commit()
                    _finish(s, row.id, warned, repaired, lc.Outcome.CONFIRMED)
                    confirmed += 1
            routine = [e for e in events if e.kind == "maintenance" and e.detail == "routine"]
            for e in routine if not verdicts else []:
                at = datetime.fromtimestamp(e.ts, UTC)
                rep = orders.Report(asset.id, "preventive", "service", "service", Priority.LOW)
                _finish(s, orders.report(s, rep, "planner", at).id, at, at + H, None)
    return corrective, confirmed


def _warning(asset: str, mode: str, at: datetime, order_id: int) -> WarningRow:
    return WarningRow(
        asset_id=asset,
        failure_mode=mode,
        state="open",
        opened_at=at,
        updated_at=at,
        probability=0.9,
        peak_probability=0.9,
        risk_band="high",
        model_version="test",
        work_order_id=order_id,
    )


def _finish(
    s: Session, order_id: int, at: datetime, done: datetime, outcome: lc.Outcome | None
) -> None:
    row = orders.get(s, order_id)
    who = row.assignee or "tom"
    if row.state == lc.State.REPORTED.value:
        orders.act(s, order_id, lc.Action.DISPATCH, "dina", at, assignee=who)
    for n, action in enumerate((lc.Action.ACKNOWLEDGE, lc.Action.ARRIVE, lc.Action.START), 1):
        orders.act(s, order_id, action, who, at + n * timedelta(minutes=5))
    code = lc.FailureCode("OTH", "7.0", "repair")
    finished = outcome or lc.Outcome.NOT_PREDICTIVE
    orders.act(s, order_id, lc.Action.COMPLETE, who, done, failure_code=code, outcome=finished)


@pytest.mark.timeout(900)  # two trainings on a year of 24 assets, about two minutes
def test_two_rounds_where_the_verdicts_reach_the_next_model(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/pw.db"
    migrate(url)
    sessions = session_factory(make_engine(url))
    sim = Simulation(synthetic_fleet(24, seed=5), horizon_days=365)
    with sessions() as s:
        crud.apply_manifest(
            s, crud.create_gateway(s, "gw-a"), fleet_manifests(sim, ("gw-a",))["gw-a"]
        )
        teams.put_team(s, "mech", "Mechanical", "lena", "sam")
        teams.replace_routes(s, [("*", "*", "mech")])
    store = EmbeddedStore(tmp_path / "ts.db")
    reg = tmp_path / "registry"
    try:
        _store_history(sim, store, tmp_path / "sim")
        start = datetime.fromtimestamp(sim.start, UTC)
        end = datetime.fromtimestamp(sim.end, UTC)

        # Round 0, three weeks in: too short a history for the protocol; nothing is stored,
        # and the round waits for the next one
        early = start + timedelta(days=21)
        assert round_once(sessions, store, reg, 182, early) is None
        assert last_round(reg) == early and registry.versions(reg) == []

        # Round 1, half-way through the year: only the breakdowns people reported (a third
        # of the failures) are known; nothing is in service yet
        corrective, _ = _work(sessions, sim, verdicts=False)
        mid = start + (end - start) / 2
        first = round_once(sessions, store, reg, 182, mid)
        meta1 = registry.load(reg, first)[1]
        assert meta1["challenge"]["promoted"]
        assert meta1["challenge"]["reason"] == "no model in service"
        assert registry.in_service(reg) == first and last_round(reg) == mid
        ds1 = load_dataset(reg / "data" / mid.strftime("%Y%m%dT%H%M%S"))
        assert 0 < len(ds1.failures()) < corrective  # the first half's
        assert ds1.span()[1] < mid.timestamp()

        # Round 2, at the year's end: the technicians confirmed the other faults on
        # predicted orders, and those verdicts are labels now
        _, confirmed = _work(sessions, sim, verdicts=True)
        assert confirmed > 20
        second = round_once(sessions, store, reg, 365, end)
        # what the round exported: the year's verdicts and failures, every stored reading
        exported = reg / "data" / end.strftime("%Y%m%dT%H%M%S")
        kinds = pq.read_table(exported / "events.parquet")["kind"].to_pylist()
        assert kinds.count("verdict") == confirmed
        assert kinds.count("failure") == corrective + confirmed
        stored = pq.read_metadata(tmp_path / "sim" / "telemetry.parquet").num_rows
        readings = pq.read_metadata(exported / "telemetry.parquet").num_rows
        assert readings >= 0.99 * stored  # a step each
        challenge = registry.load(reg, second)[1]["challenge"]
        assert challenge["against"] == first
        for split in ("test_time", "test_assets"):  # judged on the same failures
            mine, theirs = challenge["challenger"][split], challenge["incumbent"][split]
            assert mine["failures"] == theirs["failures"] > 10
        # the model that learned from the verdicts is better on the year's second half, which
        # the model in service never saw, and takes over
        assert challenge["promoted"], challenge["reason"]
        assert challenge["reason"].startswith("better: F1 (recall, precision)")
        assert registry.in_service(reg) == second
        assert sorted(registry.versions(reg)) == sorted([first, second])
    finally:
        store.close()
