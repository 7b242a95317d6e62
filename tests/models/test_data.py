"""Loaders: the simulator's export and a site's own CSV files; bad data is named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.data import DataError, load_dataset
from plantwatch.cli import app
from simulators.config import synthetic_fleet
from simulators.engine import Simulation
from simulators.export import export


def test_simulator_export_loads(tmp_path: Path) -> None:
    sim = Simulation(synthetic_fleet(4, seed=2), horizon_days=3)
    export(sim, tmp_path, 600)
    ds = load_dataset(tmp_path)
    assert ds.assets == sorted(a.id for a in sim.assets)
    assert ds.telemetry.num_rows == sim.signal_count * 3 * 144
    assert set(ds.asset_classes.values()) == {"elevator", "hvac", "pump", "power_room"}
    first, last = ds.span()
    assert first == sim.start and last == sim.end - 600
    t, v = ds.series(sim.assets[0].id, sim.assets[0].equipment.signals[0].name)
    assert len(t) == 3 * 144 and (t[1:] > t[:-1]).all() and v.dtype.kind == "f"


def test_plain_csv_loads(tmp_path: Path) -> None:
    (tmp_path / "site_telemetry.csv").write_text(
        "asset,signal,ts,value\np1,flow,2025-01-01T00:00:00+00:00,10.5\n"
        "p1,flow,2025-01-01T00:10:00+00:00,11.0\n"
    )
    (tmp_path / "site_events.csv").write_text(
        "asset,kind,mode,ts\np1,failure,seal_leak,2025-01-02T00:00:00+00:00\n"
        "p1,maintenance,,2025-01-02T06:00:00+00:00\n"
    )
    ds = load_dataset(tmp_path)
    assert ds.span() == (1735689600, 1735690200)
    assert ds.failures().column("mode").to_pylist() == ["seal_leak"]


@pytest.mark.parametrize(
    ("name", "text", "why"),
    [
        ("telemetry.csv", "asset,signal,value\na,s,1\n", r"missing column\(s\) ts"),
        ("telemetry.csv", "asset,signal,ts,value\na,s,2025-01-01 00:00,1\n", "RFC 3339"),
    ],
)
def test_bad_telemetry_is_named(tmp_path: Path, name: str, text: str, why: str) -> None:
    (tmp_path / name).write_text(text)
    (tmp_path / "events.csv").write_text("asset,kind,mode,ts\n")
    with pytest.raises(DataError, match=why):
        load_dataset(tmp_path)


def test_unknown_event_kind_is_named(tmp_path: Path) -> None:
    (tmp_path / "telemetry.csv").write_text("asset,signal,ts,value\na,s,0,1\n")
    (tmp_path / "events.csv").write_text("asset,kind,mode,ts\na,explosion,,0\n")
    with pytest.raises(DataError, match=r"unknown event kind.*explosion"):
        load_dataset(tmp_path)


def test_model_inspect_cli(tmp_path: Path) -> None:
    export(Simulation(synthetic_fleet(4, seed=2), horizon_days=30), tmp_path, 3600)
    r = CliRunner().invoke(app, ["model", "inspect", str(tmp_path)])
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    assert "readings of 4 assets" in out and "failure mode" in out
    r = CliRunner().invoke(app, ["model", "inspect", "--json", str(tmp_path)])
    summary = json.loads(r.stdout)
    assert summary["assets"] == 4 and summary["classes"] and "failure" in summary["events"]
    r = CliRunner().invoke(app, ["model", "inspect", str(tmp_path / "nope")])
    assert r.exit_code == 2 and "not a directory" in r.stderr and r.stdout == ""
