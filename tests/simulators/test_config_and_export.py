from pathlib import Path

import pyarrow.parquet as pq
import pytest

from kernel.yaml_config import ConfigError
from simulators.config import load_fleet_config, synthetic_fleet
from simulators.engine import Simulation
from simulators.export import export, parse_interval

FLEETS = Path(__file__).resolve().parents[2] / "simulators" / "fleets"


def test_shipped_fleet_configs_load() -> None:
    for path in FLEETS.glob("*.yaml"):
        cfg = load_fleet_config(path)
        assert Simulation(cfg).assets


def test_bad_fleet_config_names_file_line_field(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(
        "seed: 1\n"
        "sites:\n"
        "  - id: north\n"
        "    kind: castle\n"
        "    buildings:\n"
        "      - id: lib\n"
        "        rooms:\n"
        "          - id: b1\n"
        "            assets:\n"
        "              - {class: steam_turbine, count: 2}\n"
        "realism:\n"
        "  failures: {strength: [0.9, 0.1]}\n"
    )
    with pytest.raises(ConfigError) as err:
        load_fleet_config(path)
    text = str(err.value)
    assert f"{path}:4: sites[0].kind: Input should be 'university', 'hospital' or 'estate'" in text
    assert (
        f"{path}:10: sites[0].buildings[0].rooms[0].assets[0].class: Value error, unknown "
        "asset class 'steam_turbine'"
    ) in text
    assert f"{path}:12: realism.failures: Value error, strength: lower bound 0.9" in text


def test_interval_parsing() -> None:
    assert parse_interval("10m") == 600
    assert parse_interval("30s") == 30
    with pytest.raises(ValueError, match="like 10m"):
        parse_interval("ten minutes")


def test_export_writes_long_telemetry_and_events(tmp_path: Path) -> None:
    sim = Simulation(synthetic_fleet(5, seed=3), horizon_days=3)
    result = export(sim, tmp_path, 600)
    assert "telemetry" in result.telemetry.name and "events" in result.events.name
    tel = pq.read_table(result.telemetry)
    assert tel.column_names == ["asset", "signal", "ts", "value"]
    assert tel.num_rows == sim.signal_count * 3 * 144 == result.rows
    assert set(tel.column("asset").to_pylist()) == {a.id for a in sim.assets}
    events = pq.read_table(result.events).to_pylist()
    assert len(events) == result.event_rows == sum(len(sim.events(a)) for a in sim.assets)
    assets = pq.read_table(result.assets).to_pylist()
    assert {a["asset_class"] for a in assets} == {"elevator", "hvac", "pump", "power_room"}


def test_reference_doc_is_current() -> None:
    from simulators.docs import reference

    doc = Path(__file__).resolve().parents[2] / "docs" / "simulator-reference.md"
    assert doc.read_text() == reference(), (
        "run: python -m simulators.docs > docs/simulator-reference.md"
    )
