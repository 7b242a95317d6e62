"""Gateway configs: the examples pass, mistakes name file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edge.config import load_config
from edge.manifest import DEVICE_ONLINE, build_manifest
from kernel.yaml_config import ConfigError
from plantwatch.cli import app
from simulators.config import load_fleet_config
from simulators.gateway_configs import GATEWAY_CONFIG_DIR, gateway_configs, render

EXAMPLES = sorted(GATEWAY_CONFIG_DIR.glob("*.yaml"))
runner = CliRunner()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_configs_pass_check(path: Path) -> None:
    r = runner.invoke(app, ["gateway", "check", str(path)])
    assert r.exit_code == 0, r.output
    assert ": ok;" in r.output and "Modbus requests/s" in r.output


def test_examples_are_generated_from_the_campus_fleet() -> None:
    fleet = Path(__file__).resolve().parents[2] / "simulators" / "fleets" / "campus.yaml"
    for gw_id, doc in gateway_configs(load_fleet_config(fleet)).items():
        committed = (GATEWAY_CONFIG_DIR / f"{gw_id}.yaml").read_text()
        assert committed == render(doc, "simulators/fleets/campus.yaml"), (
            "run: python -m simulators.gateway_configs"
        )


def test_manifest_lists_every_signal_with_units() -> None:
    cfg = load_config(GATEWAY_CONFIG_DIR / "north-science.yaml")
    m = build_manifest(cfg)
    power = next(a for a in m.assets if a.asset_class == "power_room")
    names = {s.name: s for s in power.signals}
    assert {"current_l1", "room_temp", "busbar_temp", DEVICE_ONLINE} <= set(names)
    assert names["current_l1"].unit == "A" and names["room_temp"].max == 60.0


def _bad(tmp_path: Path, old: str, new: str) -> str:
    text = EXAMPLES[0].read_text().replace(old, new, 1)
    text = text.replace(
        "profiles_dir: profiles", f"profiles_dir: {GATEWAY_CONFIG_DIR / 'profiles'}"
    )
    path = tmp_path / "gw.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    return str(err.value)


def test_errors_name_file_line_and_field(tmp_path: Path) -> None:
    err = _bad(tmp_path, "interval_s: 10.0", "interval_s: soon")
    line = next(
        i for i, t in enumerate((tmp_path / "gw.yaml").read_text().splitlines(), 1) if "soon" in t
    )
    assert f"gw.yaml:{line}: links[0].devices[0].interval_s: Input should be a valid number" in err
    err = _bad(tmp_path, "  timeout_s: 1.0\n", "  timeout_s: 1.0\n  colour: red\n")
    assert "links[0].colour: Extra inputs are not permitted" in err
    err = _bad(tmp_path, "profile: chillmax-cx500", "profile: chillmax-cx900")
    assert "links[0].devices[0].profile: no profile 'chillmax-cx900'" in err
    err = _bad(tmp_path, "kind: tcp", "kind: carrier-pigeon")
    assert "links[0]" in err and "kind" in err


def test_check_cli_reports_errors_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: gw\nsite: north\nassets: []\n")
    r = runner.invoke(app, ["gateway", "check", str(path)])
    assert r.exit_code == 2
    assert "broken.yaml:3: assets: List should have at least 1 item" in r.output.replace("\n", "")


def test_json_schema_is_published() -> None:
    r = runner.invoke(app, ["gateway", "schema"])
    schema = json.loads(r.output)
    assert schema["additionalProperties"] is False
    assert {"links", "mqtt", "uplink", "spool", "validate"} <= set(schema["properties"])
