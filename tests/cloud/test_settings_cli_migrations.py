"""Settings refuse unsafe defaults; the CLI manages credentials; migrations match the models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import ValidationError
from sqlalchemy import create_engine
from typer.testing import CliRunner

from cloud.db import migrate
from cloud.schemas import GatewayCreate
from cloud.settings import Settings
from cloud.tables import Base
from plantwatch.cli import app
from tests.cloud.conftest import fresh_database
from tests.servers import Process


def test_production_refuses_the_default_secret() -> None:
    with pytest.raises(ValidationError, match="PLANTWATCH_SECRET_KEY must be set"):
        Settings(environment="production", _env_file=None)
    Settings(environment="production", secret_key="a-real-secret-from-a-vault", _env_file=None)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANTWATCH_TSDB_URL", "http://127.0.0.1:8428")
    monkeypatch.setenv("PLANTWATCH_MAX_BATCH_READINGS", "123")
    s = Settings(_env_file=None)
    assert s.tsdb_url == "http://127.0.0.1:8428" and s.max_batch_readings == 123


def _drift(url: str) -> list[object]:
    migrate(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    return list(diff)


def test_migrations_match_models_on_sqlite(tmp_path: Path) -> None:
    assert _drift(f"sqlite:///{tmp_path}/m.db") == []


def test_migrations_match_models_on_postgres(pg_server: Process) -> None:
    assert _drift(fresh_database(pg_server)) == []


def test_hours_to_failure_stored_as_nan_become_null(pg_server: Process) -> None:
    """Before 0006 PostgreSQL kept NaN for a class without a time-to-failure model."""
    url = fresh_database(pg_server)
    migrate(url, "0005")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO gateways (id, description, created_at, manifest_version)"
            " VALUES ('gw', '', now(), 1)"
        )
        conn.exec_driver_sql(
            "INSERT INTO assets (id, gateway_id, site, building, room, asset_class, model,"
            " install_date, retired, notes, updated_at) SELECT x, 'gw', 's', 'b', 'r', 'pump',"
            " 'm', '2020-01-01', false, '', now() FROM unnest(ARRAY['a', 'b']) AS x"
        )
        conn.exec_driver_sql(
            "INSERT INTO warnings (asset_id, failure_mode, state, opened_at, updated_at,"
            " probability, peak_probability, risk_band, ttf_p10_h, ttf_p50_h, ttf_p90_h,"
            " contributions, model_version) VALUES ('a', '', 'open', now(), now(), 0.9, 0.9,"
            " 'high', 'NaN', 'NaN', 'NaN', '[]', 'v1'), ('b', '', 'open', now(), now(), 0.9,"
            " 0.9, 'high', 5, 20, 40, '[]', 'v1')"
        )
    migrate(url)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT asset_id, ttf_p10_h, ttf_p50_h, ttf_p90_h FROM warnings ORDER BY asset_id"
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("a", None, None, None), ("b", 5.0, 20.0, 40.0)]


def test_cli_manages_gateways_and_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PLANTWATCH_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    runner = CliRunner()
    r = runner.invoke(app, ["cloud", "gateway", "create", "gw-cli", "--description", "B1 plant"])
    assert r.exit_code == 0, r.output
    token = r.output.strip().splitlines()[-1]
    assert token.startswith("pwg_")
    r = runner.invoke(app, ["cloud", "gateway", "create", "gw-cli"])
    assert r.exit_code == 1 and "exists" in r.stderr and r.stdout == ""
    r = runner.invoke(app, ["cloud", "gateway", "list"])
    assert "gw-cli" in r.output and token[:12] in r.output and token not in r.output
    (listed,) = json.loads(runner.invoke(app, ["cloud", "gateway", "list", "--json"]).stdout)
    assert listed["id"] == "gw-cli" and listed["tokens"][0]["prefix"] == token[:12]
    r = runner.invoke(app, ["cloud", "gateway", "revoke", "gw-cli"])
    assert "revoked 1 token" in r.output
    r = runner.invoke(app, ["cloud", "apikey", "create", "--name", "ops", "--role", "dispatcher"])
    assert r.exit_code == 0 and r.output.strip().startswith("pwk_")
    r = runner.invoke(app, ["cloud", "apikey", "list"])
    assert "dispatcher" in r.output
    (key,) = json.loads(runner.invoke(app, ["cloud", "apikey", "list", "--json"]).stdout)
    assert key["name"] == "ops" and key["role"] == "dispatcher" and key["revoked_at"] is None
    r = runner.invoke(app, ["cloud", "apikey", "revoke", "1"])
    assert "revoked key 1" in r.output
    r = runner.invoke(app, ["cloud", "apikey", "create", "--name", "x", "--role", "emperor"])
    assert r.exit_code == 2


def test_a_worker_runs_the_checks_without_the_api(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys
    import time
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select
    from sqlalchemy.orm import Session as DbSession

    from cloud import crud
    from cloud.db import make_engine, migrate
    from cloud.tables import WorkOrderRow
    from cloud.workorders.pm_rules import PmRule
    from cloud.workorders.preventive import set_plan
    from kernel.contract import Manifest
    from simulators.config import synthetic_fleet
    from simulators.engine import Simulation

    db = f"sqlite:///{tmp_path}/w.db"
    migrate(db)
    engine = make_engine(db)
    sim = Simulation(synthetic_fleet(4, seed=2), horizon_days=1)
    with DbSession(engine) as s:
        gw = crud.create_gateway(s, "gw-w")
        manifest = Manifest(
            gateway_id="gw-w",
            generated_at=datetime.now(UTC),
            assets=[a.info() for a in sim.assets],
        )
        crud.apply_manifest(s, gw, manifest)
        cls = sim.assets[0].asset_class
        set_plan(s, [PmRule(cls, "Inspect", every_days=7)], datetime.now(UTC) - timedelta(days=8))
    env = os.environ | {
        "PLANTWATCH_DATABASE_URL": db,
        "PLANTWATCH_EMBEDDED_TSDB_PATH": str(tmp_path / "ts.db"),
        "PLANTWATCH_ESCALATION_CHECK_S": "0.2",
    }
    cmd = [sys.executable, "-m", "plantwatch.cli", "cloud", "worker"]
    nothing = subprocess.run(
        [*cmd, "--no-checker"], env=env, capture_output=True, text=True, timeout=60
    )
    assert nothing.returncode == 2 and "nothing to run" in nothing.stderr
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        found: list[WorkOrderRow] = []
        while not found and time.monotonic() < deadline:
            time.sleep(0.3)
            with DbSession(engine) as s:
                found = list(s.scalars(select(WorkOrderRow)))
        expected = sum(1 for a in sim.assets if a.asset_class == cls)
        assert len(found) == expected and all(o.source == "preventive" for o in found)
        # SIGTERM: each loop finishes its pass and the worker exits 0
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0 and b"worker stopped" in out, out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("bad_id", ["North Library", "_gw", "gw/1", "x" * 65])
def test_cli_refuses_a_gateway_id_the_api_refuses(
    bad_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLANTWATCH_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    r = CliRunner().invoke(app, ["cloud", "gateway", "create", bad_id])
    assert r.exit_code == 2 and f"gateway id {bad_id!r}" in r.stderr
    with pytest.raises(ValidationError):
        GatewayCreate(id=bad_id)


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PLANTWATCH_")}
    return subprocess.run(
        [sys.executable, "-m", "plantwatch.cli", "cloud", *args],
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_unknown_settings_and_unusable_databases_are_one_line_on_stderr(tmp_path: Path) -> None:
    r = _cli({"PLANTWATCH_DATABSE_URL": f"sqlite:///{tmp_path}/x.db"}, "gateway", "list")
    assert r.returncode == 2 and r.stdout == ""
    assert (
        "unknown setting PLANTWATCH_DATABSE_URL (did you mean PLANTWATCH_DATABASE_URL?)" in r.stderr
    )
    for url, why in (
        (f"sqlite:///{tmp_path}/missing/dir/x.db", "unable to open database file"),
        ("postgresql+psycopg://plantwatch:hunter22@127.0.0.1:1/pw", "Connection refused"),
        ("nosuchdb://x", "Can't load plugin"),
    ):
        for args in (("gateway", "list"), ("serve", "--port", "1")):
            r = _cli({"PLANTWATCH_DATABASE_URL": url}, *args)
            assert r.returncode == 2, (url, args, r.stderr)
            lines = r.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: cannot open the database"), lines
            assert why in lines[0] and "Traceback" not in r.stderr and "hunter22" not in r.stderr
    # variables that other parts read may share the environment file
    r = _cli(
        {
            "PLANTWATCH_DATABASE_URL": f"sqlite:///{tmp_path}/ok.db",
            "PLANTWATCH_GRAFANA_PG_PASSWORD": "x",
        },
        "gateway",
        "list",
        "--json",
    )
    assert r.returncode == 0 and json.loads(r.stdout) == []


def test_errors_are_not_wrapped_when_piped(tmp_path: Path) -> None:
    long_dir = tmp_path / ("a-rather-long-folder-name-" * 4)
    r = _cli(
        {"PLANTWATCH_DATABASE_URL": f"sqlite:///{long_dir}/x/pw.db", "COLUMNS": "80"},
        "gateway",
        "list",
    )
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
