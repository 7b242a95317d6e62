"""deploy/install.sh as docs/deployment.md uses it: a single plant room (cloud and gateway on
one box) and a gateway-only box, each run from its systemd units' lines as the service user."""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from cloud.storage.base import SeriesTags
from cloud.storage.embedded import EmbeddedStore
from plantwatch.stack_setup import wait_for
from simulators.engine import Simulation
from simulators.gateway_configs import GATEWAY_CONFIG_DIR
from simulators.live import LiveSimulator
from tests.deploy.installed import (
    USER,
    Unit,
    gateway_config,
    install,
    mode_of,
    require_root,
    temporary_root,
)
from tests.integration.gateway_stack import campus, cloud, frozen_clock, live_config
from tests.servers import free_port, mosquitto, wait_port

HEAVY = ("sklearn", "scipy", "pyarrow", "matplotlib", "fastapi", "sqlalchemy")


def _stored(ts_db: Path, sim: Simulation, gateway_assets: set[str]) -> set[str]:
    """Assets of ``gateway_assets`` with at least one stored value."""
    if not ts_db.exists():
        return set()
    tags = [
        SeriesTags(a.asset_class, a.site.id, a.building, a.room, a.id)
        for a in sim.assets
        if a.id in gateway_assets
    ]
    start, end = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
    return {s.asset for s in EmbeddedStore(ts_db).window(tags, None, start, end)}


def holds_only_the_gateway(venv: Path) -> None:
    """None of the cloud's or models' libraries; the gateway's commands work as the service
    user; the cloud's say which extra they need."""
    for module in HEAVY:
        r = subprocess.run([str(venv / "python"), "-c", f"import {module}"], capture_output=True)
        assert r.returncode != 0, f"{module} is importable on a gateway-only box"
    as_user = ["runuser", "-u", USER, "--", str(venv / "plantwatch")]
    for example in sorted(GATEWAY_CONFIG_DIR.glob("*.yaml")):
        r = subprocess.run(
            [*as_user, "gateway", "check", "--skip-files", str(example)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert r.returncode == 0 and ": ok;" in r.stdout, r.stdout + r.stderr
    r = subprocess.run(
        [*as_user, "cloud", "gateway", "list"], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 2 and "pip install 'plantwatch[cloud]'" in r.stderr, r.stderr


def uses_real_urllib3(python: Path) -> None:
    """A plain plantwatch[cloud] install: influxdb-client's pool is urllib3's own (no
    urllib3-future replacing it; that comes only with plantwatch[grafana])."""
    probe = (
        "import importlib.util, urllib3, influxdb_client.configuration as r; "
        "print(urllib3.__version__, importlib.util.find_spec('urllib3_future') is None, "
        "r.urllib3 is urllib3)"
    )
    r = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, timeout=60)
    version, no_future, same = r.stdout.split()
    assert int(version.split(".")[2]) < 900 and no_future == "True" and same == "True", r.stdout


async def delivers(gateway: Unit, live: LiveSimulator, now: int, ts_db: Path) -> None:
    """Run the gateway unit until every north-library asset has readings stored; it must
    still be running then, and stop with exit 0 on SIGTERM."""
    wanted = {a.id for a in live.sim.assets if a.building == "library"}
    began = time.monotonic()
    with gateway.running() as proc:
        live.step(now)  # the MQTT sensors publish
        await wait_for(
            lambda: _stored(ts_db, live.sim, wanted) == wanted or proc.poll() is not None,
            60,
            "readings of every north-library asset stored",
        )
        assert proc.poll() is None, proc.communicate()[0]
        print(f"every asset's readings stored {time.monotonic() - began:.1f} s after start")
    assert proc.returncode == 0, proc.communicate()[0]


async def test_a_single_plant_room_installs_and_runs_from_its_units(tmp_path: Path) -> None:
    require_root()
    fleet = campus()
    sim = Simulation(fleet)
    port = free_port()
    with temporary_root() as root, mosquitto(tmp_path) as broker:
        clock = frozen_clock(fleet, 30)
        async with LiveSimulator(sim, live_config(fleet, broker.port), clock=clock) as live:
            config = gateway_config(
                fleet, tmp_path, live.ports, broker.port, f"http://127.0.0.1:{port}"
            )
            assert "cloud installed" in install(root, "cloud")
            assert "gateway north-library installed" in install(
                root, "gateway", str(config), "--register"
            )
            etc, state = root / "etc/plantwatch", root / "var/lib/plantwatch"
            assert mode_of(etc) == ("root", USER, 0o750)
            assert mode_of(state) == (USER, USER, 0o750)
            assert mode_of(etc / "cloud.env") == ("root", "root", 0o600)
            assert mode_of(etc / "north-library.token") == (USER, USER, 0o600)
            assert mode_of(etc / "north-library.yaml") == ("root", USER, 0o640)
            assert sorted(p.name for p in (etc / "profiles").iterdir()) == sorted(
                p.name for p in (GATEWAY_CONFIG_DIR / "profiles").glob("*.yaml")
            )
            uses_real_urllib3(root / "opt/plantwatch/.venv/bin/python")
            api = Unit.read(root, "plantwatch-cloud.service")
            gateway = Unit.read(root, "plantwatch-gateway@.service", "north-library")
            assert api.user == gateway.user == USER
            with api.running({"8000": str(port)}) as api_proc:
                wait_port(port, api_proc, 60)
                await delivers(gateway, live, int(clock.now()), state / "timeseries.db")
            assert (state / "north-library.spool.db").exists()


async def test_a_gateway_only_box_holds_nothing_heavier(tmp_path: Path) -> None:
    require_root()
    fleet = campus()
    sim = Simulation(fleet)
    with (
        temporary_root() as root,
        mosquitto(tmp_path) as broker,
        cloud(tmp_path, ["north-library"]) as full,
    ):
        clock = frozen_clock(fleet, 30)
        async with LiveSimulator(sim, live_config(fleet, broker.port), clock=clock) as live:
            config = gateway_config(fleet, tmp_path, live.ports, broker.port, full.server.url)
            token = tmp_path / "north-library.token"
            token.write_text(full.tokens["north-library"])
            install(root, "gateway", str(config), "--token-file", str(token))
            holds_only_the_gateway(root / "opt/plantwatch/.venv/bin")
            gateway = Unit.read(root, "plantwatch-gateway@.service", "north-library")
            await delivers(gateway, live, int(clock.now()), tmp_path / "ts.db")
