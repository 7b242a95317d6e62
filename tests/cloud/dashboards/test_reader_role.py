"""Grafana's PostgreSQL role reads every table, today's and later ones, and writes none."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from typer.testing import CliRunner

from cloud.dashboards.provision import Sources
from cloud.dashboards.reader_role import READER_ROLE
from cloud.db import migrate
from plantwatch.cli import app
from tests.cloud.conftest import fresh_database
from tests.servers import Process

pytestmark = pytest.mark.integration


def test_the_reader_role_reads_and_cannot_write(pg_server: Process) -> None:
    owner = fresh_database(pg_server)
    migrate(owner)
    assert Sources().pg_user == READER_ROLE  # the provisioning logs in as this role
    run = CliRunner().invoke(
        app, ["grafana", "role", "--database-url", owner, "--password", "reader-password-1"]
    )
    assert run.exit_code == 0 and "created" in run.output, run.output
    again = CliRunner().invoke(
        app, ["grafana", "role", "--database-url", owner, "--password", "reader-password-2"]
    )
    assert again.exit_code == 0 and "updated" in again.output, again.output
    short = CliRunner().invoke(app, ["grafana", "role", "--database-url", owner, "--password", "x"])
    assert short.exit_code == 2 and "12 characters" in short.output
    with create_engine(owner).begin() as conn:  # a table a later migration adds
        conn.execute(text("CREATE TABLE later_table (x integer)"))
        conn.execute(text("INSERT INTO later_table VALUES (1)"))
    reader = make_url(owner).set(username=READER_ROLE, password="reader-password-2")
    engine = create_engine(reader)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM asset_classes")).scalar_one() >= 9
        assert conn.execute(text("SELECT x FROM later_table")).scalar_one() == 1
        assert conn.execute(text("SELECT count(*) FROM work_order_facts")).scalar_one() == 0
        for statement in (
            "INSERT INTO later_table VALUES (2)",
            "DELETE FROM assets",
            "UPDATE api_keys SET revoked_at = now()",
            "CREATE TABLE mine (y integer)",
        ):
            with pytest.raises(ProgrammingError, match="permission denied"):
                conn.execute(text(statement))
            conn.rollback()
    engine.dispose()
