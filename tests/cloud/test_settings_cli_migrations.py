"""Settings refuse unsafe defaults; the CLI manages credentials; migrations match the models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import ValidationError
from sqlalchemy import create_engine
from typer.testing import CliRunner

from cloud.db import migrate
from cloud.models import Base
from cloud.settings import Settings
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


def test_cli_manages_gateways_and_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PLANTWATCH_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    runner = CliRunner()
    r = runner.invoke(app, ["cloud", "gateway", "create", "gw-cli", "--description", "B1 plant"])
    assert r.exit_code == 0, r.output
    token = r.output.strip().splitlines()[-1]
    assert token.startswith("pwg_")
    r = runner.invoke(app, ["cloud", "gateway", "create", "gw-cli"])
    assert r.exit_code == 1 and "exists" in r.output
    r = runner.invoke(app, ["cloud", "gateway", "list"])
    assert "gw-cli" in r.output and token[:12] in r.output and token not in r.output
    r = runner.invoke(app, ["cloud", "gateway", "revoke", "gw-cli"])
    assert "revoked 1 token" in r.output
    r = runner.invoke(app, ["cloud", "apikey", "create", "--name", "ops", "--role", "dispatcher"])
    assert r.exit_code == 0 and r.output.strip().startswith("pwk_")
    r = runner.invoke(app, ["cloud", "apikey", "list"])
    assert "dispatcher" in r.output
    r = runner.invoke(app, ["cloud", "apikey", "revoke", "1"])
    assert "revoked key 1" in r.output
    r = runner.invoke(app, ["cloud", "apikey", "create", "--name", "x", "--role", "emperor"])
    assert r.exit_code == 2
