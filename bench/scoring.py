"""Benchmark the scoring loop and the path from a risky evaluation to the team's webhook.

- Scoring loop: one round over N assets (default 10,000) whose 10-day windows of 10-minute
  data sit in the embedded time-series store or in VictoriaMetrics (``--store``), with the
  registry in SQLite: the first round (full reads) next to a bare read of the same windows
  (the store's raw samples, nothing else: SQLite rows as Arrow columns, VictoriaMetrics'
  export bytes), and a following round (cached windows, only new slots re-read) next to
  the bare model on the same windows already in memory (``assess``).
- Alert latency: from the start of the evaluation that pushes an asset's risk over the
  threshold (its chunk of the round: read, features, model, warning, routed work order
  stored) to the notification received by a webhook server on loopback; p50 and p99 over
  repeated trials, next to a bare POST to the same receiver.

    python bench/scoring.py [--assets 10000] [--store embedded|victoriametrics]
                            [--trials 40] [--registry DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import delete, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cloud import crud
from cloud.alerts.channels import Webhook
from cloud.alerts.notifier import Notifier
from cloud.db import make_engine, migrate, session_factory
from cloud.scoring.loop import READ_CHUNK, Scorer
from cloud.scoring.rounds import score_once
from cloud.storage.base import Rows, SeriesTags, TimeSeriesStore
from cloud.storage.embedded import EmbeddedStore
from cloud.storage.victoriametrics import VictoriaMetricsStore, selector
from cloud.tables import RiskStateRow, RouteRow, ShiftRow, Team, WarningRow, WorkOrderRow
from cloud.workorders.announcements import order_group
from kernel.contract import Batch, Manifest, Reading
from models import registry
from models.score import assess
from plantwatch.quick_model import caught, fit_quick, register
from plantwatch.sinks import Inbox, WebhookSink
from simulators.config import synthetic_fleet
from simulators.engine import Simulation
from tests.servers import victoria_metrics

TEMPLATES = 40
STEP = 600


def _pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.array(xs), q))


def build(
    root: Path, n: int, reg: Path, store: TimeSeriesStore
) -> tuple[Scorer, str, float, list[SeriesTags]]:
    """The registry database, the store with every asset's window, and a scorer."""
    fleet, _ = registry.load(reg)
    sim = Simulation(synthetic_fleet(TEMPLATES, seed=4), horizon_days=200)
    failure, opens_h = caught(sim, fleet)
    now = float(failure.ts - opens_h * 3600)  # the hour offline scoring opens its warning
    t = np.arange(
        int(now) // STEP * STEP - fleet.windows.longest_s - 3600,
        int(now) + 1,
        STEP,
        dtype=np.int64,
    )
    templates = [a for a in sim.assets if a.id != failure.asset]
    values = {a.id: sim.readings(a, t) for a in [*templates, sim.by_id[failure.asset]]}
    db = f"sqlite:///{root}/registry.db"
    migrate(db)
    sessions = session_factory(make_engine(db))
    tags, infos = [], []
    began = time.perf_counter()
    for i in range(n):
        src = sim.by_id[failure.asset] if i == 0 else templates[i % len(templates)]
        asset_id = f"bench-{i:05d}"
        info = src.info().model_copy(update={"id": asset_id, "install_date": date(2015, 1, 1)})
        infos.append(info)
        tag = SeriesTags(src.asset_class, info.site, info.building, info.room, asset_id)
        tags.append(tag)
        readings = [
            Reading(asset_id, s, int(ts) * 1000, float(v))
            for s, col in values[src.id].items()
            for ts, v in zip(t, col, strict=True)
            if np.isfinite(v)
        ]
        store.write({asset_id: tag}, Rows.of(Batch.of("bench-gw", f"b{i}", readings)))
    if isinstance(store, VictoriaMetricsStore):
        httpx.get(f"{store.url}/internal/force_flush").raise_for_status()
        time.sleep(2.0)  # new series registered in the index
    wrote = time.perf_counter() - began
    with sessions() as s:
        gw = crud.create_gateway(s, "bench-gw")
        crud.apply_manifest(
            s, gw, Manifest(gateway_id="bench-gw", generated_at=datetime.now(UTC), assets=infos)
        )
        s.add(Team(id="hvac", name="HVAC", lead="lead", supervisor="sup"))
        s.flush()
        s.add(RouteRow(position=0, asset_class="*", fault="*", team_id="hvac"))
        at = datetime.fromtimestamp(now, UTC)
        s.add(
            ShiftRow(
                technician="ana",
                team_id="hvac",
                starts_at=at - timedelta(days=30),
                ends_at=at + timedelta(days=30),
            )
        )
        s.commit()
    print(f"store: {n:,} assets x {len(t):,} slots written in {wrote:.1f} s")
    scorer = Scorer(sessions, store, reg, clock=lambda: now)
    return scorer, "bench-00000", now, tags


def bare_read(store: TimeSeriesStore, tags: list[SeriesTags], t: np.ndarray) -> tuple[float, int]:
    """Seconds to fetch the raw samples of every asset's window on grid ``t``, READ_CHUNK
    assets a request, and how many rows (bytes from VictoriaMetrics): the store's part of a
    full read, without frames or model."""
    start_s, end_s = int(t[0]), int(t[-1]) + STEP
    began, rows = time.perf_counter(), 0
    for i in range(0, len(tags), READ_CHUNK):
        part = tags[i : i + READ_CHUNK]
        if isinstance(store, EmbeddedStore):
            ids = sorted(store._ids(part, None))
            rows += len(store._raw_columns(ids, start_s * 1000, end_s * 1000)[0])
        elif isinstance(store, VictoriaMetricsStore):
            window = {"match[]": selector(part, None), "start": start_s, "end": end_s - 0.001}
            plain = {"Accept-Encoding": "identity"}  # as the store's own export asks
            rows += len(store._get("/api/v1/export", window, plain).content)
    return time.perf_counter() - began, rows


def reset(scorer: Scorer, asset: str, k: int, counted_until: datetime) -> None:
    """The risky asset back to k-1 high evaluations and no warning or order."""
    with scorer.sessions() as s:
        order_ids = list(
            s.scalars(select(WarningRow.work_order_id).where(WarningRow.asset_id == asset))
        )
        s.execute(delete(WarningRow).where(WarningRow.asset_id == asset))
        for oid in order_ids:
            if oid is not None and (row := s.get(WorkOrderRow, oid)) is not None:
                s.delete(row)
        st = s.get(RiskStateRow, asset)
        assert st is not None
        st.high_run, st.low_run, st.data_until = k - 1, 0, counted_until
        s.commit()


async def latency(scorer: Scorer, asset: str, trials: int) -> tuple[list[float], list[float]]:
    """Seconds from the risky chunk's start to the webhook's receipt; and bare POSTs."""
    inbox = Inbox()
    sink = WebhookSink(inbox)
    sink.start()
    notifier = Notifier([Webhook("bench", sink.url)], attempts=1)
    plan = scorer.plan()
    assert plan is not None
    chunk = next(c for c in plan.chunks if any(a.id == asset for a in c))
    k = plan.fleet.consecutive
    data_until = datetime.fromtimestamp(int(plan.t[-1]) - 3 * 3600, UTC)
    out, bare = [], []
    try:
        for _ in range(trials):
            reset(scorer, asset, k, data_until)
            notifier.sent.clear()
            before = len(inbox.webhooks)
            began = time.perf_counter()
            rnd = await asyncio.to_thread(scorer.score_chunk, plan, chunk)
            assert rnd.opened == 1, rnd
            for order in rnd.changes.orders if rnd.changes else []:
                await notifier.notify(order_group(order))
            for _ in range(10_000):  # bounded: 10 s
                if len(inbox.webhooks) > before:
                    break
                await asyncio.sleep(0.001)  # the sink is a thread: poll it
            out.append(time.perf_counter() - began)
        async with httpx.AsyncClient() as client:
            for _ in range(trials):
                began = time.perf_counter()
                (await client.post(sink.url, json={"ping": 1})).raise_for_status()
                bare.append(time.perf_counter() - began)
    finally:
        sink.stop()
    return out, bare


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--registry", type=Path, default=None)
    parser.add_argument("--store", choices=["embedded", "victoriametrics"], default="embedded")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        root = Path(tmp)
        reg = args.registry
        if reg is None:
            reg = root / "registry"
            register(reg, fit_quick(root / "fit"))
        store: TimeSeriesStore
        if args.store == "embedded":
            store = EmbeddedStore(root / "ts.db")
        else:
            vm = stack.enter_context(victoria_metrics(root / "vm"))
            store = VictoriaMetricsStore(vm.url, "", "bench", "bench", 120)
        scorer, risky, now, tags = build(root, args.assets, reg, store)
        plan = scorer.plan()
        assert plan is not None
        bare_s, bare_n = bare_read(store, tags, plan.t)
        scorer._rounds = 0  # the next round is a full read
        began = time.perf_counter()
        first = asyncio.run(score_once(scorer))
        cold = time.perf_counter() - began
        frames = list(scorer._cache.values())
        scorer.clock = lambda: now + 60
        began = time.perf_counter()
        second = asyncio.run(score_once(scorer))
        warm = time.perf_counter() - began
        fleet = plan.fleet
        began = time.perf_counter()
        bare = assess(fleet, frames, {})
        model_s = time.perf_counter() - began
        what = "rows" if args.store == "embedded" else "bytes"
        print(f"bare read of the same windows ({args.store}): {bare_s:8.2f} s  {bare_n:,} {what}")
        print(f"round 1 (full reads):     {cold:8.2f} s  {first.scored:,} scored")
        print(f"ratio round 1 / bare read: {cold / bare_s:.1f}")
        print(f"round 2 (cached windows): {warm:8.2f} s  {second.scored:,} scored")
        print(f"bare assess on the same {len(bare):,} windows in memory: {model_s:.2f} s")
        print(f"ratio round 2 / bare model: {warm / model_s:.1f}")
        lat, post = asyncio.run(latency(scorer, risky, args.trials))
        print(
            f"risky evaluation -> order stored -> webhook received: p50 {_pct(lat, 50):.3f} s, "
            f"p99 {_pct(lat, 99):.3f} s, max {max(lat):.3f} s over {len(lat)} trials"
        )
        print(
            f"bare POST to the same receiver: p50 {statistics.median(post) * 1000:.1f} ms; "
            f"ratio p50 {_pct(lat, 50) / statistics.median(post):.0f}"
        )


if __name__ == "__main__":
    main()
