"""Benchmark the people's screens with a large order book.

A registry with ``--open`` open and ``--closed`` closed work orders (SQLite, or PostgreSQL
with ``--postgres``) behind the cloud service (uvicorn, one worker). Printed side by side:

- the technician's list and the dispatcher's board: latency p50/p95 of ``--requests``
  requests each, signed in through the form, next to ``/healthz`` in the same run (the
  service's floor: routing, middleware, no database);
- live update: from a technician's acknowledgement (a form POST) to the dispatcher's board
  in Debian's headless Chromium showing it, next to the page's poll interval.

Everything runs on 127.0.0.1; every loop is bounded by a count.

    python bench/web.py [--open 10000] [--closed 200000] [--requests 200] [--postgres]
"""

from __future__ import annotations

import argparse
import contextlib
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cloud import crud
from cloud.db import make_engine, migrate
from cloud.people.users import PersonRole, put_user
from cloud.tables import WorkOrderRow, WorkOrderStep
from cloud.workorders import teams
from simulators.config import synthetic_fleet
from simulators.engine import Simulation
from tests.cloud.conftest import fleet_manifests
from tests.servers import cloud_server, postgres

SECRET = "bench-secret-of-sufficient-length"
PASSWORD = "bench-password-123"
TEAMS = ("t0", "t1", "t2", "t3")
OPEN_STATES = ("dispatched", "acknowledged", "on_site", "in_progress")


def fill(url: str, n_open: int, n_closed: int) -> None:
    """The registry: assets, teams, people and the order book."""
    migrate(url)
    engine = make_engine(url)
    sim = Simulation(synthetic_fleet(200, seed=7), horizon_days=1)
    manifest = fleet_manifests(sim, ("gw-bench",))["gw-bench"]
    assets = [a.id for a in manifest.assets]
    now = datetime.now(UTC)
    with Session(engine) as s:
        crud.apply_manifest(s, crud.create_gateway(s, "gw-bench"), manifest)
        for t in TEAMS:
            teams.put_team(s, t, t, "", "")
        teams.replace_routes(s, [("*", "*", "t0")])
        put_user(s, "dina", roles=[PersonRole.DISPATCHER], password=PASSWORD)
        put_user(s, "tom", roles=[PersonRole.TECHNICIAN], teams=["t0"], password=PASSWORD)
        rnd = random.Random(7)
        for first in range(0, n_open + n_closed, 20_000):
            rows = []
            for i in range(first, min(first + 20_000, n_open + n_closed)):
                opened = i < n_open
                reported = now - timedelta(minutes=rnd.randint(1, 60 * 24 * (7 if opened else 700)))
                rows.append(
                    {
                        "asset_id": assets[i % len(assets)],
                        "source": "manual",
                        "fault": "x",
                        "title": f"order {i}",
                        "priority": "high",
                        "policy": "high-4h",
                        "team_id": TEAMS[i % len(TEAMS)],
                        "assignee": "tom" if i % 20 == 0 else f"tech{i % 40}",
                        "state": OPEN_STATES[i % len(OPEN_STATES)] if opened else "closed",
                        "reported_at": reported,
                        "reported_by": "someone",
                        "dispatch_by": reported + timedelta(minutes=15),
                        "acknowledge_by": reported + timedelta(minutes=30),
                        "on_site_by": reported + timedelta(hours=4),
                    }
                )
            s.execute(insert(WorkOrderRow), rows)
            s.commit()
        # a step per order, as the service keeps history (the board's change feed reads them)
        s.execute(
            insert(WorkOrderStep),
            [
                {
                    "order_id": i + 1,
                    "at": now,
                    "by": "router",
                    "action": "report",
                    "before": "",
                    "after": "reported",
                    "note": "",
                }
                for i in range(0, n_open + n_closed, 50)
            ],
        )
        s.commit()
    engine.dispose()


def signed_in(base: str, user: str) -> httpx.Client:
    """A client with a session, signed in through the form as a browser would."""
    c = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
    form = c.get("/app/sign-in")
    token = re.search(r'name="presign" value="([^"]+)"', form.text)
    assert token is not None
    rsp = c.post(
        "/app/sign-in", data={"username": user, "password": PASSWORD, "presign": token.group(1)}
    )
    assert rsp.status_code == 303, rsp.text[:300]
    return c


def latencies(client: httpx.Client, path: str, n: int) -> tuple[float, float]:
    """p50 and p95 in ms of ``n`` GETs of ``path``."""
    out = []
    for _ in range(n):
        t = time.perf_counter()
        rsp = client.get(path)
        out.append((time.perf_counter() - t) * 1000)
        assert rsp.status_code == 200, (path, rsp.status_code)
    q = statistics.quantiles(out, n=100)
    return q[49], q[94]


def live_update(base: str, tom: httpx.Client, rounds: int) -> list[float]:
    """Seconds from a technician's acknowledgement to the board in Chromium showing it."""
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        page.goto(f"{base}/app/sign-in")
        page.get_by_label("User name").fill("dina")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{base}/app/board")
        csrf = re.search(r'name="csrf" value="([^"]+)"', tom.get("/app/orders").text)
        assert csrf is not None
        ids = [int(x) for x in re.findall(r'data-testid="state-(\d+)">dispatched<', page.content())]
        for oid in ids[:rounds]:
            page.wait_for_timeout(1500)  # a fresh poll cycle each round
            # the page itself notes when the cell changes (Playwright's own waiting backs off)
            page.evaluate(
                """oid => { window.__seen = 0; new MutationObserver((_, obs) => {
                    const c = document.querySelector(`[data-testid="state-${oid}"]`);
                    if (c && c.textContent === "acknowledged") {
                        window.__seen = Date.now(); obs.disconnect(); }
                }).observe(document.getElementById("main"),
                           {childList: true, subtree: true, characterData: true}); }""",
                oid,
            )
            t = time.time()
            rsp = tom.post(
                f"/app/orders/{oid}/act", data={"csrf": csrf.group(1), "action": "acknowledge"}
            )
            assert rsp.status_code == 303, rsp.text[:300]
            for _ in range(200):  # up to 10 s
                seen = page.evaluate("window.__seen")
                if seen:
                    break
                page.wait_for_timeout(50)
            assert seen, f"order {oid} never showed as acknowledged"
            out.append(seen / 1000 - t)
        browser.close()
    return out


@contextlib.contextmanager
def database(use_postgres: bool, tmp: Path) -> Iterator[str]:
    """The registry's URL."""
    if not use_postgres:
        yield f"sqlite:///{tmp}/pw.db"
        return
    with postgres() as pg:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/postgres"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--closed", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_s, database(args.postgres, Path(tmp_s)) as url:
        tmp = Path(tmp_s)
        began = time.perf_counter()
        fill(url, args.open, args.closed)
        print(
            f"{args.open:,} open and {args.closed:,} closed orders in "
            f"{'PostgreSQL' if args.postgres else 'SQLite'} ({time.perf_counter() - began:.0f} s "
            f"to fill); {args.requests} requests per page, one client, one uvicorn worker"
        )
        env = {
            "PLANTWATCH_SECRET_KEY": SECRET,
            "PLANTWATCH_DATABASE_URL": url,
            "PLANTWATCH_EMBEDDED_TSDB_PATH": str(tmp / "ts.db"),
            "PLANTWATCH_BACKGROUND": "false",
            # httpx, unlike a browser, keeps Secure cookies off plain http even on loopback
            "PLANTWATCH_WEB_SECURE_COOKIES": "false",
        }
        with cloud_server(env, tmp) as server:
            dina, tom = signed_in(server.url, "dina"), signed_in(server.url, "tom")
            floor = latencies(dina, "/healthz", args.requests)
            print(f"{'page':<28} {'p50 ms':>8} {'p95 ms':>8} {'p95 x /healthz':>15}")
            print(f"{'/healthz (the floor)':<28} {floor[0]:>8.1f} {floor[1]:>8.1f} {1.0:>15.1f}")
            for who, client, path in (
                ("technician", tom, "/app/orders"),
                ("dispatcher", dina, "/app/board"),
            ):
                p50, p95 = latencies(client, path, args.requests)
                print(f"{who + ' ' + path:<28} {p50:>8.1f} {p95:>8.1f} {p95 / floor[1]:>15.1f}")
            seconds = live_update(server.url, tom, args.rounds)
            print(
                f"acknowledged -> shown on the board in Chromium: median "
                f"{statistics.median(seconds):.2f} s, max {max(seconds):.2f} s over "
                f"{len(seconds)} changes (the page polls every 0.5 s)"
            )


if __name__ == "__main__":
    main()
