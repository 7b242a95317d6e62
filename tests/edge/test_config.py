"""Gateway configs: the examples pass, mistakes name file, line and field."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
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
    r = runner.invoke(app, ["gateway", "check", "--skip-files", str(path)])
    assert r.exit_code == 0, r.output
    assert ": ok;" in r.output and "Modbus requests/s" in r.output
    assert "(files not checked)" in r.output


def _deployed(tmp_path: Path, replace: dict[str, str] | None = None) -> Path:
    """The first example as installed: its token and spool under ``tmp_path``."""
    (tmp_path / "state").mkdir(exist_ok=True)
    token = tmp_path / "gw.token"
    if not token.exists():
        token.write_text("pwg_example\n")
        token.chmod(0o600)
    text = EXAMPLES[0].read_text()
    text = text.replace(
        "profiles_dir: profiles", f"profiles_dir: {GATEWAY_CONFIG_DIR / 'profiles'}"
    )
    text = text.replace("/etc/plantwatch/north-library.token", str(token))
    text = text.replace("/var/lib/plantwatch/", str(tmp_path / "state") + "/")
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "gw.yaml"
    path.write_text(text)
    return path


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, t in enumerate(path.read_text().splitlines(), 1) if needle in t)


def test_check_passes_a_deployed_config_and_says_so_in_json(tmp_path: Path) -> None:
    path = _deployed(tmp_path)
    r = runner.invoke(app, ["gateway", "check", "--json", str(path)])
    assert r.exit_code == 0, r.output
    plan = json.loads(r.stdout)
    assert plan["ok"] and plan["files_checked"] and plan["assets"] == 6 and plan["warnings"] == []
    assert plan["links"][0]["devices"][0]["requests"]
    assert plan["mqtt"][0]["subscriptions"][0]["qos"] == 1


def test_check_refuses_what_run_would_die_on(tmp_path: Path) -> None:
    def refused(path: Path, *expected: str) -> None:
        for cmd in (["gateway", "check", str(path)], ["gateway", "run", str(path)]):
            r = runner.invoke(app, cmd)
            assert r.exit_code == 2, (cmd, r.output)
            for text in expected:
                assert text in r.stderr, (cmd, r.stderr)

    path = _deployed(tmp_path)
    token = tmp_path / "gw.token"
    token.unlink()
    refused(
        path,
        f"gw.yaml:{_line_of(path, 'token_file')}: uplink.token_file: token file",
        "does not exist",
    )
    token.write_text("  \n")
    refused(path, "uplink.token_file: token file", "is empty")
    token.unlink()
    token.mkdir()
    refused(path, "is not a file")
    token.rmdir()
    token.write_text("pwg_x")
    path = _deployed(tmp_path, {str(tmp_path / "state") + "/": str(tmp_path / "nowhere") + "/"})
    refused(
        path,
        f"gw.yaml:{_line_of(path, 'nowhere')}: spool.path: the spool's folder",
        "does not exist",
    )
    path = _deployed(tmp_path, {"url: http://127.0.0.1:8000": "url: 127.0.0.1:8000"})
    refused(
        path,
        f"gw.yaml:{_line_of(path, 'url: 127')}: uplink.url:",
        "is not an http:// or https:// URL",
    )
    path = _deployed(tmp_path, {"health:": "log_level: CHATTY\nhealth:"})
    refused(path, f"gw.yaml:{_line_of(path, 'CHATTY')}: log_level: Input should be 'DEBUG'")
    path = _deployed(tmp_path)
    r = runner.invoke(app, ["gateway", "run", "--log-level", "chatty", str(path)])
    assert r.exit_code == 2 and "'chatty' is not one of" in r.output


def test_check_refuses_a_token_the_service_user_cannot_read() -> None:
    # pytest's own temporary folders are private to root: this one others may enter
    with tempfile.TemporaryDirectory(prefix="pw-unreadable-") as folder:
        _refuses_an_unreadable_token(Path(folder))


def _refuses_an_unreadable_token(tmp_path: Path) -> None:
    path = _deployed(tmp_path)
    token = tmp_path / "gw.token"
    token.chmod(0o600)
    if os.getuid() == 0:  # root reads everything: ask as an unprivileged user instead
        tmp_path.chmod(0o755)
        path.chmod(0o644)
        (tmp_path / "state").chmod(0o777)
        # the service user cannot run this interpreter (it lives under /root): the system's
        # Python 3.11 runs the checkout with this environment's packages instead
        site = next(Path(sys.prefix).glob("lib/python3*/site-packages"))
        root = Path(__file__).resolve().parents[2]
        cmd = ["runuser", "-u", "nobody", "--", "env", f"PYTHONPATH={root}:{site}"]
        r = subprocess.run(
            [*cmd, "/usr/bin/python3", "-m", "plantwatch.cli", "gateway", "check", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        assert r.returncode == 2, r.stdout + r.stderr
        assert (
            "uplink.token_file: token file" in r.stderr
            and "is not readable by this user" in r.stderr
        )
    else:
        token.chmod(0o000)
        r = runner.invoke(app, ["gateway", "check", str(path)])
        assert r.exit_code == 2 and "is not readable by this user" in r.stderr


def test_check_warns_of_a_token_every_user_can_read(tmp_path: Path) -> None:
    path = _deployed(tmp_path)
    (tmp_path / "gw.token").chmod(0o644)
    r = runner.invoke(app, ["gateway", "check", str(path)])
    assert r.exit_code == 0 and "readable by every user (mode 0644); chmod 600 it" in r.stderr


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
    assert "broken.yaml:3: assets: List should have at least 1 item" in r.stderr


def test_json_schema_is_published() -> None:
    r = runner.invoke(app, ["gateway", "schema"])
    schema = json.loads(r.output)
    assert schema["additionalProperties"] is False
    assert {"links", "mqtt", "uplink", "spool", "validate"} <= set(schema["properties"])


def test_plain_http_to_another_machine_needs_saying_so(tmp_path: Path) -> None:
    remote = {"url: http://127.0.0.1:8000": "url: http://cloud.campus.example:8000"}
    with pytest.raises(ConfigError, match="sends the token in clear"):
        load_config(_deployed(tmp_path, remote))
    allowed = {**remote, "  token_file:": "  allow_plain_http: true\n  token_file:"}
    assert load_config(_deployed(tmp_path, allowed)).gateway.uplink.allow_plain_http
    for local in ("http://localhost:8000", "http://[::1]:8000", "https://cloud.example"):
        load_config(_deployed(tmp_path, {"url: http://127.0.0.1:8000": f"url: {local}"}))


def test_a_client_certificate_needs_its_key_and_both_must_be_readable(tmp_path: Path) -> None:
    cert = {"  token_file:": f"  cert_file: {tmp_path}/client.pem\n  token_file:"}
    with pytest.raises(ConfigError, match="cert_file and key_file go together"):
        load_config(_deployed(tmp_path, cert))
    both = {
        "  token_file:": f"  cert_file: {tmp_path}/client.pem\n"
        f"  key_file: {tmp_path}/client.key\n  token_file:"
    }
    path = _deployed(tmp_path, both)
    r = runner.invoke(app, ["gateway", "check", str(path)])
    assert r.exit_code == 2
    assert f"gw.yaml:{_line_of(path, 'cert_file')}: uplink.cert_file: certificate" in r.stderr
    assert "uplink.key_file: key" in r.stderr


def test_a_device_without_ranges_takes_its_class_ranges_from_the_catalogue(
    tmp_path: Path,
) -> None:
    import yaml

    from kernel.catalogue import active_catalogue

    doc = yaml.safe_load(_deployed(tmp_path).read_text())
    device = doc["links"][0]["devices"][0]
    device["ranges"] = {}
    path = tmp_path / "no-ranges.yaml"
    path.write_text(yaml.safe_dump(doc))
    cfg = load_config(path)
    asset = next(a for a in build_manifest(cfg).assets if a.id == device["asset"])
    cls = active_catalogue().get(asset.asset_class)
    for s in asset.signals:
        if s.name == DEVICE_ONLINE:
            continue
        assert (s.min, s.max) == cls.signal(s.name).range, s.name


def test_bacnet_errors_name_file_line_and_field(tmp_path: Path) -> None:
    science = (GATEWAY_CONFIG_DIR / "north-science.yaml").read_text()
    science = science.replace(
        "profiles_dir: profiles", f"profiles_dir: {GATEWAY_CONFIG_DIR / 'profiles'}"
    )
    path = tmp_path / "gw.yaml"
    for old, new, want in (
        (
            "profile: chillmax-cx500-bacnet",
            "profile: chillmax-cx900-bacnet",
            "bacnet[0].devices[0].profile: no BACnet profile 'chillmax-cx900-bacnet'",
        ),
        ("instance: 10001", "instance: many", "bacnet[0].devices[0].instance: Input should be"),
        ("bbmd: 127.0.0.1:47900", "bbmd: roof-bbmd", "bacnet[0].foreign.bbmd: Value error"),
    ):
        path.write_text(science.replace(old, new, 1))
        line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if new in t)
        with pytest.raises(ConfigError) as err:
            load_config(path)
        assert f"gw.yaml:{line}: {want}" in str(err.value)
    # The manifest carries the BACnet device's signals with the profile's units.
    m = build_manifest(load_config(GATEWAY_CONFIG_DIR / "north-science.yaml"))
    roof = next(a for a in m.assets if a.room == "plant-roof")
    units = {s.name: s.unit for s in roof.signals}
    assert units["supply_air_temp"] == "degC" and DEVICE_ONLINE in units
