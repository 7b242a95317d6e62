import json
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from plantwatch.cli import app

runner = CliRunner()
FLEET = Path(__file__).resolve().parents[2] / "simulators" / "fleets" / "campus.yaml"


def test_sim_export_writes_parquet(tmp_path: Path) -> None:
    out = tmp_path / "data"
    r = runner.invoke(
        app,
        [
            "sim",
            "export",
            "--assets",
            "4",
            "--days",
            "2",
            "--interval",
            "30m",
            "--seed",
            "9",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "readings of 4 assets" in r.output
    tel = pq.read_table(out / "telemetry.parquet")
    assert tel.num_rows > 0 and (out / "events.parquet").exists()


def test_sim_export_rejects_a_bad_interval(tmp_path: Path) -> None:
    r = runner.invoke(app, ["sim", "export", "--interval", "often", "--out", str(tmp_path)])
    assert r.exit_code == 2
    assert "like 10m" in r.output


def test_sim_check_reports_fleet_and_config_errors(tmp_path: Path) -> None:
    r = runner.invoke(app, ["sim", "check", str(FLEET)])
    assert r.exit_code == 0 and "8 assets" in r.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: -1\nsites: []\n")
    r = runner.invoke(app, ["sim", "check", str(bad)])
    assert r.exit_code == 2 and r.stdout == ""
    assert f"{bad}:1: seed: Input should be greater than or equal to 0" in r.stderr
    r = runner.invoke(app, ["sim", "check", "--json", str(FLEET)])
    assert json.loads(r.stdout)["classes"] == {"elevator": 2, "hvac": 3, "power_room": 1, "pump": 2}


def test_sim_run_serves_for_a_while(tmp_path: Path) -> None:
    cfg = tmp_path / "fleet.yaml"
    cfg.write_text(
        FLEET.read_text()
        .replace("base_port: 15020", "base_port: 0")
        .replace("base_port: 47900", "base_port: 0")
        .replace("port: 1883", "port: 1")
    )
    cfg.write_text(cfg.read_text().replace("mqtt: {host", "mqtt: {enabled: false, host"))
    r = runner.invoke(
        app, ["sim", "run", "--config", str(cfg), "--duration", "1.5", "--speed", "3600"]
    )
    assert r.exit_code == 0, r.output
    assert "simulated devices" in r.output and "served" in r.output
