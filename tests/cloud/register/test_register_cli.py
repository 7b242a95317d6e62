"""`plantwatch cloud register import/export` and `plantwatch cloud classes`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cloud.register.entries import COLUMNS
from plantwatch.cli import app
from simulators.register_sheet import register_rows


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PLANTWATCH_DATABASE_URL", f"sqlite:///{tmp_path}/pw.db")
    monkeypatch.setenv("PLANTWATCH_SECRET_KEY", "cli-secret-of-sufficient-length")
    return tmp_path


def test_import_reports_refused_rows_and_an_export_imports_back_unchanged(database: Path) -> None:
    rows = register_rows(30, seed=1)
    rows[3]["currency"] = "yuan"
    sheet = database / "register.csv"
    with sheet.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    runner = CliRunner()
    first = runner.invoke(app, ["cloud", "register", "import", str(sheet)])
    assert first.exit_code == 1, first.output
    assert f"{sheet}: row 5: currency:" in first.output
    assert "created 29, updated 0, unchanged 0, refused rows 1" in first.output
    out = database / "out.xlsx"
    assert runner.invoke(app, ["cloud", "register", "export", str(out)]).exit_code == 0
    again = runner.invoke(app, ["cloud", "register", "import", str(out)])
    assert again.exit_code == 0 and "unchanged 29, refused rows 0" in again.output
    bad = runner.invoke(app, ["cloud", "register", "import", str(database / "x.txt")])
    assert bad.exit_code == 2 and ".csv or .xlsx" in bad.output
    listed = runner.invoke(app, ["cloud", "classes", "--json"])
    assert listed.exit_code == 0
    names = [c["name"] for c in json.loads(listed.output)]
    assert "fire_pump" in names and len(names) == 9
