"""Benchmark cloud ingest: 1, 2 and 4 uvicorn workers behind one port, gzip batches, into
VictoriaMetrics (and one worker into the embedded store).

For each batch size and worker count it prints readings/s (and per worker) and per-batch
latency p50/p99 of the service,
next to the ceiling measured in the same run: influxdb-client alone writing the same
points (as line protocol) straight into the same VictoriaMetrics with the same concurrency.
Everything runs on 127.0.0.1; every loop is bounded by a duration and a batch count.

    python bench/ingest.py [--seconds 4] [--rounds 3] [--sizes 1000,5000,10000,20000]
                           [--concurrency 4] [--workers 1,2,4] [--postgres]
                           [--encoding packed|json]

Each figure is the median of ``--rounds`` rounds; rounds of the service and of the
pre-serialised reference alternate (ABBA), so a store still merging after one heavy round
weighs on both alike.

Batches go as packed columns (``kernel.packed``), as a gateway sends them to a cloud that
reads them; ``--encoding json`` sends the same readings as JSON.

With --postgres it also runs one worker with its registry in PostgreSQL, next to what that
PostgreSQL alone commits: one batch row per transaction, as the ingest path writes it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psutil
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from influxdb_client.client.write_api import SYNCHRONOUS

from cloud import crud
from cloud.db import make_engine, migrate
from cloud.storage.base import SeriesTags
from cloud.storage.influx_writer import MILLISECONDS, InfluxWriter
from cloud.storage.line_protocol import series_prefix
from kernel.contract import Batch, Manifest
from kernel.packed import MEDIA_TYPE, pack
from simulators.config import synthetic_fleet
from simulators.engine import Simulation
from tests.servers import cloud_server, postgres, victoria_metrics

SECRET = "bench-secret-of-sufficient-length"


class Workload:
    """Distinct readings for a fleet, batch after batch, as gzip JSON and as line protocol."""

    def __init__(self, assets: int, packed: bool) -> None:
        self.packed = packed
        self.media_type = MEDIA_TYPE if packed else "application/json"
        sim = Simulation(synthetic_fleet(assets, seed=3), horizon_days=1)
        self.manifest = Manifest(
            gateway_id="gw-bench",
            generated_at=datetime.now(UTC),
            assets=[a.info() for a in sim.assets],
        )
        self.series = [(a.id, s.name) for a in self.manifest.assets for s in a.signals]
        self.tags = {
            a.id: SeriesTags(a.asset_class, a.site, a.building, a.room, a.id)
            for a in self.manifest.assets
        }
        self.t0 = datetime.now(UTC) - timedelta(days=20)
        self.cursor = 0

    def _slice(self, size: int) -> tuple[int, list[tuple[str, str, int]]]:
        start = self.cursor
        self.cursor += size
        out = []
        n = len(self.series)
        for i in range(start, start + size):
            asset, signal = self.series[i % n]
            out.append((asset, signal, i // n))  # one instant per round over all series
        return start, out

    def batch_body(self, size: int) -> tuple[bytes, int]:
        """A gzip batch of ``size`` fresh readings, packed or JSON as the workload sends."""
        start, rows = self._slice(size)
        base_ms = int(self.t0.timestamp() * 1000)
        keys: dict[tuple[str, str], int] = {}
        index = [keys.setdefault((a, s), len(keys)) for a, s, _ in rows]
        body = {
            "gateway_id": "gw-bench",
            "batch_id": f"b{start}",
            "series": list(keys),
            "index": index,
            "ts": [base_ms + k * 1000 for _, _, k in rows],
            "value": [k % 97 + 0.5 for _, _, k in rows],
            "quality": [0] * size,
            "seq": list(range(start, start + size)),
        }
        if self.packed:
            batch = Batch.model_construct(contract_version="1.0", historical=False, **body)
            return gzip.compress(pack(batch), compresslevel=1), size
        return gzip.compress(json.dumps(body).encode(), compresslevel=1), size

    def records(self, size: int) -> list[dict[str, object]]:
        """The same kind of points as influxdb-client dict records (it serialises them)."""
        _, rows = self._slice(size)
        base_ms = int(self.t0.timestamp() * 1000)
        out: list[dict[str, object]] = []
        for a, s, k in rows:
            t = self.tags[a]
            out.append(
                {
                    "measurement": t.measurement,
                    "tags": {"asset": a, "building": t.building, "room": t.room, "site": t.site},
                    "fields": {s: k % 97 + 0.5},
                    "time": base_ms + k * 1000,
                }
            )
        return out

    def lines(self, size: int) -> str:
        """Line protocol of ``size`` fresh readings (the same shape the service writes)."""
        _, rows = self._slice(size)
        base_ms = int(self.t0.timestamp() * 1000)
        prefixes = {a: series_prefix(t) for a, t in self.tags.items()}
        return "\n".join(
            f"{prefixes[a]} {s}={k % 97 + 0.5!r} {base_ms + k * 1000}" for a, s, k in rows
        )


def ceiling(
    vm_url: str, work: Workload, size: int, seconds: float, concurrency: int, serialised: bool
) -> float:
    """Readings/s influxdb-client alone writes into VictoriaMetrics.

    ``serialised=False``: it is handed the points as records and serialises them itself
    (influxdb-client alone, the issue's ceiling); ``True``: it is handed finished line
    protocol, which leaves only the HTTP write (the transport's ceiling).
    """
    count = max(4, int((1_500_000 if serialised else 300_000) * seconds / size))
    make = work.lines if serialised else work.records
    payloads: list[object] = [make(size) for _ in range(count)]
    writer = InfluxWriter(vm_url, "", "bench", "bench", 30)
    api = writer.client.write_api(write_options=SYNCHRONOUS)
    lock = threading.Lock()
    done = [0]
    stop = time.monotonic() + seconds

    def run() -> None:
        while time.monotonic() < stop:
            with lock:
                if not payloads:
                    return
                p = payloads.pop()
            if isinstance(p, str):
                writer.write_lines(p)
            else:
                api.write(bucket="bench", org="bench", record=p, write_precision=MILLISECONDS)
            with lock:
                done[0] += size

    began = time.monotonic()
    threads = [threading.Thread(target=run) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.close()
    return done[0] / (time.monotonic() - began)


async def service(
    url: str,
    token: str,
    work: Workload,
    size: int,
    seconds: float,
    concurrency: int,
    proc: psutil.Process,
) -> tuple[float, float, float, float]:
    """Readings/s, p50 and p99 latency (ms) and server CPU % through the ingest API."""
    batches = [work.batch_body(size) for _ in range(max(4, int(1_500_000 * seconds / size)))]
    latencies: list[float] = []
    done = 0
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Encoding": "gzip",
        "Content-Type": work.media_type,
    }
    stop = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:

        async def worker() -> None:
            nonlocal done
            while batches and time.monotonic() < stop:
                body, n = batches.pop()
                t = time.perf_counter()
                rsp = await client.post("/api/v1/ingest", content=body)
                latencies.append(time.perf_counter() - t)
                if rsp.status_code != 200:
                    raise RuntimeError(f"ingest answered {rsp.status_code}: {rsp.text[:200]}")
                done += n

        proc.cpu_percent()
        began = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        took = time.monotonic() - began
        cpu = proc.cpu_percent()
    q = statistics.quantiles(latencies, n=100)
    return done / took, q[49] * 1000, q[98] * 1000, cpu


def registry_ceiling(db_url: str, seconds: float, concurrency: int) -> float:
    """Batch rows/s the registry alone commits, one row per transaction, ``concurrency``
    threads (the ingest path's only registry write)."""
    from cloud.tables import IngestedBatch

    migrate(db_url)
    engine = make_engine(db_url)
    with Session(engine) as session:
        crud.create_gateway(session, "gw-reg")
    done = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def run(k: int) -> None:
        n = 0
        with Session(engine) as session:
            while time.monotonic() < stop and n < 10**6:
                session.add(
                    IngestedBatch(
                        gateway_id="gw-reg", batch_id=f"{k}-{n}", readings=100, digest="0" * 64
                    )
                )
                session.commit()
                n += 1
        with lock:
            done[0] += n

    began = time.monotonic()
    threads = [threading.Thread(target=run, args=(k,)) for k in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    return done[0] / (time.monotonic() - began)


Result = tuple[float, float, float, float]  # readings/s, p50 ms, p99 ms, server CPU %


@contextlib.contextmanager
def started_service(
    env: dict[str, str], tmp: Path, db_url: str, work: Workload, workers: int = 1
) -> Iterator[tuple[str, str, psutil.Process]]:
    """The service with ``workers`` uvicorn workers, its gateway registered: (url, token,
    process)."""
    migrate(db_url)
    with Session(make_engine(db_url)) as session:
        crud.create_gateway(session, "gw-bench")
        token = crud.issue_gateway_token(session, SECRET, "gw-bench")[1]
    env = env | {
        "PLANTWATCH_SECRET_KEY": SECRET,
        "PLANTWATCH_DATABASE_URL": db_url,
        "PLANTWATCH_BACKGROUND": "false",  # ingest alone, as API workers at scale run
    }
    with cloud_server(env, tmp, args=("--workers", str(workers))) as server:
        manifest = gzip.compress(work.manifest.model_dump_json().encode())
        httpx.put(
            f"{server.url}/api/v1/manifest",
            content=manifest,
            headers={"Authorization": f"Bearer {token}", "Content-Encoding": "gzip"},
        ).raise_for_status()
        time.sleep(1.0 + workers)  # every worker up before the clock starts
        yield server.url, token, psutil.Process(server.proc.pid)


def median_result(results: list[Result]) -> Result:
    """The round of median throughput (its latencies and CPU with it)."""
    return sorted(results)[len(results) // 2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4.0, help="per round and figure")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per figure (median)")
    parser.add_argument("--sizes", default="1000,5000,10000,20000")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--assets", type=int, default=200)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument(
        "--encoding",
        choices=("packed", "json"),
        default="packed",
        help="how the batches are sent (gateways send packed columns to a cloud that reads them)",
    )
    parser.add_argument("--postgres", action="store_true", help="also a PostgreSQL registry")
    args = parser.parse_args()
    worker_counts = [int(w) for w in args.workers.split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]
    work = Workload(args.assets, packed=args.encoding == "packed")
    print(
        f"{len(work.series)} series, {args.encoding} bodies, "
        f"{args.concurrency} concurrent senders, {args.rounds} rounds of {args.seconds:g} s "
        f"per figure (median), uvicorn workers {args.workers} (the first in the table)"
    )
    wire: dict[int, list[float]] = {s: [] for s in sizes}
    by_workers: dict[int, dict[int, list[Result]]] = {}
    pg_res: dict[int, list[Result]] = {}
    pg_alone = 0.0

    def rounds(url: str, token: str, proc: psutil.Process, conc: int) -> dict[int, list[Result]]:
        """Service rounds alternating with rounds of the reference (ABBA order), so both
        meet the store in the same state (its merges after a heavy round, say)."""
        out: dict[int, list[Result]] = {s: [] for s in sizes}
        for size in sizes:
            for r in range(args.rounds):
                steps = ("ref", "svc") if r % 2 == 0 else ("svc", "ref")
                for step in steps:
                    if step == "ref":
                        wire[size].append(
                            ceiling(vm.url, work, size, args.seconds, args.concurrency, True)
                        )
                    else:
                        out[size].append(
                            asyncio.run(service(url, token, work, size, args.seconds, conc, proc))
                        )
        return out

    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        with victoria_metrics(tmp / "vm") as vm:
            ceilings = {
                s: ceiling(vm.url, work, s, args.seconds, args.concurrency, False) for s in sizes
            }
            vm_env = {"PLANTWATCH_TSDB_URL": vm.url, "PLANTWATCH_TSDB_KIND": "victoriametrics"}
            for n in worker_counts:
                db_url = f"sqlite:///{tmp}/vm-reg-{n}.db"
                with started_service(vm_env, tmp, db_url, work, n) as (url, token, proc):
                    by_workers[n] = rounds(url, token, proc, max(args.concurrency, 2 * n))
            if args.postgres:
                with postgres() as pg:
                    db_url = f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/postgres"
                    pg_alone = registry_ceiling(db_url, args.seconds, args.concurrency)
                    with started_service(vm_env, tmp, db_url, work) as (url, token, proc):
                        pg_res = rounds(url, token, proc, args.concurrency)
        emb_env = {"PLANTWATCH_EMBEDDED_TSDB_PATH": str(tmp / "ts.db")}
        emb_res: dict[int, Result] = {}
        emb_db = f"sqlite:///{tmp}/emb-reg.db"
        with started_service(emb_env, tmp, emb_db, work) as (url, token, proc):
            for s in sizes:
                emb_res[s] = asyncio.run(
                    service(url, token, work, s, args.seconds, args.concurrency, proc)
                )
    ref = {s: statistics.median(v) for s, v in wire.items()}
    vm_res = {s: median_result(v) for s, v in by_workers[worker_counts[0]].items()}
    print(
        f"{'batch':>6} | {'influxdb-client->VM':>19} {'pre-serialised LP':>17} | "
        f"{'service->VM':>11} {'x client':>8} {'x LP':>5} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'cpu %':>6} | {'service->embedded':>17} {'p50 ms':>7} {'p99 ms':>7}"
    )
    for s in sizes:
        rate, p50, p99, cpu = vm_res[s]
        erate, ep50, ep99, _ = emb_res[s]
        print(
            f"{s:>6} | {ceilings[s]:>14,.0f} rd/s {ref[s]:>12,.0f} rd/s | {rate:>9,.0f}/s "
            f"{rate / ceilings[s]:>8.2f} {rate / ref[s]:>5.2f} {p50:>7.1f} {p99:>7.1f} "
            f"{cpu:>6.0f} | {erate:>15,.0f}/s {ep50:>7.1f} {ep99:>7.1f}"
        )
    print(
        f"\n{'batch':>6} {'workers':>7} | {'service->VM':>11} {'per worker':>10} "
        f"{'x LP':>5} {'per worker x LP':>15} {'p50 ms':>7} {'p99 ms':>7} | rounds x LP"
    )
    for s in sizes:
        for n, res in by_workers.items():
            rate, p50, p99, _ = median_result(res[s])
            each = " ".join(f"{r[0] / ref[s]:.2f}" for r in res[s])
            print(
                f"{s:>6} {n:>7} | {rate:>9,.0f}/s {rate / n:>8,.0f}/s {rate / ref[s]:>5.2f} "
                f"{rate / n / ref[s]:>15.2f} {p50:>7.1f} {p99:>7.1f} | {each}"
            )
    each_ref = "; ".join(f"{s}: " + " ".join(f"{w:,.0f}" for w in wire[s]) for s in sizes)
    print(f"pre-serialised LP rounds (rd/s): {each_ref}")
    if pg_res:
        print(
            f"\nPostgreSQL alone commits {pg_alone:,.0f} batch rows/s "
            f"({args.concurrency} threads, one row per transaction)"
        )
        print(f"{'batch':>6} | {'registry':>10} {'service->VM':>11} {'batches/s':>9} {'x PG':>5}")
        for s in sizes:
            for name, res_s in (("SQLite", vm_res[s]), ("PostgreSQL", median_result(pg_res[s]))):
                rate = res_s[0]
                extra = f" {rate / s / pg_alone:>5.2f}" if name == "PostgreSQL" else ""
                print(f"{s:>6} | {name:>10} {rate:>9,.0f}/s {rate / s:>9,.0f}{extra}")
    print("influxdb-client->VM: handed the points as records, it serialises them itself;")
    print("pre-serialised LP: handed finished line protocol, only the HTTP write is left.")
    print("x LP: the service's median round over the reference's median round, same run.")


if __name__ == "__main__":
    main()
