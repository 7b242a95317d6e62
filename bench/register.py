"""Benchmark the register import: a 3,000-row sheet with 20 bad rows, CSV and XLSX.

The cloud service (uvicorn, one worker, SQLite or PostgreSQL with ``--postgres``) imports
the sheet through ``POST /api/v1/register/import``; then the same sheet again (nothing may
change). Printed next to a reference measured in the same run on the same database: the
rows written with one plain ``INSERT ... executemany`` (no checks, no comparison), the
floor any import has to pay.

    python bench/register.py [--rows 3000] [--postgres]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cloud import crud
from cloud.db import make_engine, migrate, session_factory
from cloud.register.entries import COLUMNS
from cloud.register.sheets import XLSX_TYPE, write_sheet
from cloud.security import Role
from simulators.register_sheet import register_rows
from tests.servers import cloud_server, postgres

SECRET = "bench-secret-of-sufficient-length"


@contextlib.contextmanager
def databases(use_postgres: bool, tmp: Path) -> Iterator[tuple[str, str]]:
    """Two empty databases of the same kind: the service's and the reference's."""
    if not use_postgres:
        yield f"sqlite:///{tmp}/pw.db", f"sqlite:///{tmp}/ref.db"
        return
    with postgres() as pg:
        base = f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}"
        admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE ref"))
        admin.dispose()
        yield f"{base}/postgres", f"{base}/ref"


def reference(url: str, rows: list[dict[str, object]]) -> float:
    """Seconds to parse the CSV and insert every row with one executemany."""
    migrate(url)
    engine = make_engine(url)
    body = write_sheet(COLUMNS, rows, "csv").decode("utf-8-sig")
    began = time.perf_counter()
    parsed = list(csv.DictReader(io.StringIO(body)))
    params = [
        {
            "id": r["id"],
            "site": r["site"],
            "building": r["building"],
            "room": r["room"],
            "cls": r["class"],
            "model": r["model"],
            "d": r["install_date"],
        }
        for r in parsed
    ]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO assets (id, site, building, room, asset_class, model, install_date,"
                " retired, notes, make, serial_number, currency, criticality, registered_by,"
                " updated_at) VALUES (:id, :site, :building, :room, :cls, :model, :d, false, '',"
                " '', '', '', 'medium', 'register', CURRENT_TIMESTAMP)"
            ),
            params,
        )
    seconds = time.perf_counter() - began
    engine.dispose()
    return seconds


def spoil(rows: list[dict[str, object]], n: int) -> None:
    """Make ``n`` rows bad (an unknown class, a date that does not exist, ...)."""
    faults = (("class", "steam_turbine"), ("install_date", "31/02/2020"), ("currency", "yuan"))
    for k in range(n):
        column, value = faults[k % len(faults)]
        rows[(37 + k * 131) % len(rows)][column] = value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--bad", type=int, default=20)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    rows = register_rows(args.rows, seed=11)
    spoil(rows, args.bad)
    with tempfile.TemporaryDirectory() as tmp_s, databases(args.postgres, Path(tmp_s)) as urls:
        tmp = Path(tmp_s)
        url, ref_url = urls
        migrate(url)
        with session_factory(make_engine(url))() as session:
            key = crud.create_api_key(session, SECRET, "bench", Role.ADMIN)[1]
        good = [r for r in rows if r["class"] != "steam_turbine"]
        floor = reference(
            ref_url,
            [r for r in good if r["currency"] != "yuan" and "/" not in str(r["install_date"])],
        )
        env = {
            "PLANTWATCH_SECRET_KEY": SECRET,
            "PLANTWATCH_DATABASE_URL": url,
            "PLANTWATCH_EMBEDDED_TSDB_PATH": str(tmp / "ts.db"),
            "PLANTWATCH_BACKGROUND": "false",
        }
        kind = "PostgreSQL" if args.postgres else "SQLite"
        print(f"{args.rows:,} rows ({args.bad} bad) into {kind}; one uvicorn worker")
        print(f"{'step':<34} {'seconds':>8} {'x reference':>12}  result")
        print(f"{'reference: parse + executemany':<34} {floor:>8.2f} {1.0:>12.1f}")
        with cloud_server(env, tmp) as server, httpx.Client(base_url=server.url, timeout=120) as c:
            auth = {"Authorization": f"Bearer {key}"}
            for fmt, step in (
                ("csv", "import CSV"),
                ("csv", "re-import CSV"),
                ("xlsx", "re-import XLSX"),
            ):
                body = write_sheet(COLUMNS, rows, fmt)  # type: ignore[arg-type]
                kind_h = {"Content-Type": "text/csv" if fmt == "csv" else XLSX_TYPE}
                began = time.perf_counter()
                rsp = c.post("/api/v1/register/import", content=body, headers=auth | kind_h)
                seconds = time.perf_counter() - began
                rsp.raise_for_status()
                r = rsp.json()
                result = (
                    f"created {r['created']}, updated {r['updated']}, unchanged {r['unchanged']},"
                    f" refused rows {r['refused_rows']}"
                )
                print(f"{step:<34} {seconds:>8.2f} {seconds / floor:>12.1f}  {result}")


if __name__ == "__main__":
    main()
