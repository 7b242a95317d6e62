"""Databases, spools and token files are readable by their owner only, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cloud.db import make_engine, migrate
from cloud.storage.embedded import EmbeddedStore
from edge.forward.spool import Spool
from kernel.files import create_private
from plantwatch.cli import app


@pytest.fixture(params=[0o022, 0o002, 0o000])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_every_file_with_data_or_secrets_is_private(
    umask: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = Spool(tmp_path / "gw.spool.db", "gw", 1000, 1, "drop_oldest")
    spool.append([("a", "s", 1, 1.0, 0)])
    store = EmbeddedStore(tmp_path / "ts.db")
    url = f"sqlite:///{tmp_path}/pw.db"
    migrate(url)
    with make_engine(url).connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    monkeypatch.setenv("PLANTWATCH_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    token = tmp_path / "gw.token"
    r = CliRunner().invoke(app, ["cloud", "gateway", "create", "gw", "--token-file", str(token)])
    assert r.exit_code == 0 and token.read_text().startswith("pwg_") and r.stdout == ""
    files = sorted(p for p in tmp_path.iterdir() if p.is_file())
    assert {p.name for p in files} >= {
        "gw.spool.db",
        "gw.spool.db-wal",
        "ts.db",
        "pw.db",
        "gw.token",
    }
    assert {p.name: oct(_mode(p)) for p in files} == {p.name: oct(0o600) for p in files}
    spool.close()
    store.close()


def test_an_existing_file_keeps_the_mode_a_site_gave_it(tmp_path: Path) -> None:
    shared = tmp_path / "pw.db"
    shared.write_bytes(b"")
    shared.chmod(0o640)  # readable by a group, e.g. a backup job's
    create_private(shared)
    assert _mode(shared) == 0o640
