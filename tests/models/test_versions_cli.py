"""`plantwatch model versions`: a registry's versions, the one in service, and why each was
stored."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from models.pipeline import FleetModel
from models.registry import save
from plantwatch.cli import app


def _unseen(recall: float, precision: float, false_alarms: float) -> dict[str, object]:
    row = {
        "recall": recall,
        "precision": precision,
        "false_alarms_per_asset_month": false_alarms,
    }
    return {"test_assets": {"model": row}}


def test_versions_say_which_scores_and_why_each_was_stored(
    donor: FleetModel, tmp_path: Path
) -> None:
    reg = tmp_path / "registry"
    old = save(reg, donor, {"data": "/data/2025"})
    meta = reg / old / "meta.json"  # stored by an earlier plantwatch: listed, never scored
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "format": 1}))
    first = save(
        reg,
        donor,
        {
            "data": "/data/site",
            "metrics": _unseen(0.9, 0.85, 0.04),
            "operating_point": "chosen on validation",
            "donor": "/models/elsewhere",
            "donor_caution": "the donor (v1) missed its targets on its own unseen assets",
        },
    )
    lost = save(
        reg,
        donor,
        {
            "data": "/data/site-2",
            "metrics": _unseen(0.7, 0.6, 0.3),
            "challenge": {"promoted": False, "reason": "worse: precision 0.60 < 0.80"},
        },
        in_service=False,
    )
    runner = CliRunner()
    result = runner.invoke(app, ["model", "versions", "--registry", str(reg), "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["version"]: r for r in json.loads(result.stdout)}
    assert list(rows) == sorted([old, first, lost])
    assert [v for v, r in rows.items() if r["in_service"]] == [first]
    assert rows[old]["stale"] and not rows[first]["stale"]
    assert rows[first]["unseen_assets"] == {"recall": 0.9, "precision": 0.85, "false_alarms": 0.04}
    assert rows[first]["why"] == "trained on /data/site (chosen on validation)"
    assert rows[lost]["why"] == (
        "retraining round, kept out of service: worse: precision 0.60 < 0.80"
    )
    assert rows[old]["unseen_assets"] is None and rows[old]["why"] == "trained on /data/2025"

    shown = runner.invoke(app, ["model", "versions", "--registry", str(reg)])
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    row_of = {v: next(line for line in lines if line.startswith(f"│ {v}")) for v in rows}
    assert "│ yes" in row_of[first] and "0.850" in row_of[first] and "0.040" in row_of[first]
    assert "│ no, old" in row_of[old] and "│ no " in row_of[lost]
    assert f"{lost}: retraining round, kept out of service" in shown.stdout
    assert "caution: the donor (v1) missed its targets" in shown.stdout

    empty = runner.invoke(app, ["model", "versions", "--registry", str(tmp_path / "none")])
    assert empty.exit_code == 0 and "no model versions" in empty.stdout
