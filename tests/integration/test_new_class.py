# ruff: noqa: E501  (the class file below is kept as a site would write it)
"""A tenth class from a file written here: simulator, gateway, cloud and model training.

No code names the class: the simulator builds its physics and register map from the file,
the gateway takes its classes from the catalogue, the cloud keeps it as a row, and the
models learn it from the exported data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edge.manifest import DEVICE_ONLINE
from kernel.catalogue import ENV_DIRS, active_catalogue
from models.data import load_dataset
from models.score import assess
from models.train import fit
from plantwatch.quick_model import QUICK, frame_at
from simulators.config import load_fleet_config
from simulators.deployment import plain_signals
from simulators.engine import Simulation
from simulators.equipment import equipment
from simulators.export import export
from simulators.live import LiveSimulator
from simulators.register_sheet import fleet_register_rows
from tests.integration.gateway_stack import (
    cloud,
    expected_value,
    frozen_clock,
    live_config,
    running,
    until,
    utc,
    write_configs,
)
from tests.servers import Mosquitto

pytestmark = pytest.mark.integration

WATER_TANK = """\
name: water_tank
names: {en: Water tank and booster set, zh: 水箱及加压泵组}
model: tankwatch-t1
default_team: mechanical
problem_codes: [ELP, LOO]
signals:
  - {name: level, unit: "%", range: [0, 100], simulate: {base: 78, effects: {occupancy: -12}, noise: 0.4}}
  - {name: outlet_pressure, unit: bar, range: [0, 10], simulate: {base: 4.2, effects: {load: 0.6}, noise: 0.03, idle: 0.5}}
  - {name: booster_current, unit: A, range: [0, 60], simulate: {base: 6, effects: {load: 14}, noise: 0.3, floor: 0, idle: 0}}
  - {name: water_temp, unit: degC, range: [0, 40], simulate: {base: 14, effects: {outdoor_c: 0.25}, noise: 0.2}}
  - {name: booster_on, kind: status, range: [0, 1], role: condition, simulate: {running: true}}
  - {name: low_level, kind: status, range: [0, 1], simulate: {on_when: {signal: level, below: 30}}}
  - {name: run_hours, unit: h, kind: counter, range: [0, 200000], simulate: {per_run_hour: 1}}
failure_modes:
  - name: float_valve_stuck
    code: LOO
    moves: {level: -45}
    pf_interval_h: [24, 96]
    source: The site's own records of stuck float valves
  - name: impeller_wear
    code: LOO
    weight: 0.7
    moves: {outlet_pressure: -1.4, booster_current: 5}
    pf_interval_h: [48, 168]
    source: The site's own records
pm_rules:
  - {title: Quarterly tank inspection and disinfection, every_days: 91}
simulate:
  load: {base: 0.2, occupancy: 0.7}
  mqtt_json: [water_temp]
"""

FLEET = """\
seed: 5
start: 2026-01-05T00:00:00Z
sites:
  - id: east
    buildings:
      - id: hall
        rooms:
          - id: roof
            assets:
              - {class: water_tank, count: 2}
              - {class: boiler, count: 1}
realism:
  failures: {mtbf_days: 12}
"""


@pytest.fixture
def site_classes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A site folder with the tenth class, for this process and the ones it starts."""
    folder = tmp_path / "classes"
    folder.mkdir()
    (folder / "water_tank.yaml").write_text(WATER_TANK)
    monkeypatch.setenv(ENV_DIRS, str(folder))
    active_catalogue.cache_clear()
    equipment.cache_clear()
    yield folder
    monkeypatch.delenv(ENV_DIRS)
    active_catalogue.cache_clear()
    equipment.cache_clear()


async def test_a_tenth_class_from_a_file_reaches_the_cloud_and_the_models(
    site_classes: Path, broker: Mosquitto, tmp_path: Path
) -> None:
    assert len(active_catalogue()) == 10
    fleet_path = tmp_path / "fleet.yaml"
    fleet_path.write_text(FLEET)
    fleet = load_fleet_config(fleet_path)
    sim = Simulation(fleet, horizon_days=60)
    tanks = [a for a in sim.assets if a.asset_class == "water_tank"]
    assert len(tanks) == 2
    clock = frozen_clock(fleet, day=20.4)
    t0 = int(clock.now())
    with cloud(tmp_path, ["east-hall"]) as c:
        async with LiveSimulator(sim, live_config(fleet, broker.port), clock=clock) as live:
            paths = write_configs(fleet, live, broker.port, c.server.url, c.tokens, tmp_path)
            assert (tmp_path / "profiles" / "tankwatch-t1.yaml").exists()
            async with running(paths["east-hall"]) as gw:
                await until(lambda: all(m.connected for m in gw.listeners), 10, "MQTT")
                live.step(t0)
                await until(
                    lambda: all(d["polls"] >= 3 for d in gw.links.status()), 15, "three polls"
                )
                await asyncio.sleep(1.0)
        samples = c.samples(sim, utc(t0 - 86400), utc(t0 + 86400))
    by_key = {(s.asset, s.signal): s for s in samples if s.signal != DEVICE_ONLINE}
    for tank in tanks:
        for spec in tank.equipment.signals:
            sample = by_key.get((tank.id, spec.name))
            assert sample is not None, f"{tank.id}/{spec.name} never reached the cloud"
            want = expected_value(live, tank.id, spec.name, t0)
            assert sample.value == pytest.approx(want, rel=1e-6, abs=1e-4), (tank.id, spec.name)
    # The cloud registered the tanks under the class it keeps as a row.
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from cloud.db import make_engine
    from cloud.tables import Asset, AssetClassRow

    with Session(make_engine(f"sqlite:///{tmp_path}/pw.db")) as s:
        row = s.get(AssetClassRow, "water_tank")
        assert row is not None and row.name_zh == "水箱及加压泵组"
        assert row.source == str(site_classes / "water_tank.yaml")
        classes = {a.id: a.asset_class for a in s.scalars(select(Asset))}
    assert all(classes[t.id] == "water_tank" for t in tanks)

    # Model training on a longer export of the same fleet learns the class from its data.
    export(Simulation(fleet, horizon_days=120), tmp_path / "data", 600)
    model = fit(load_dataset(tmp_path / "data"), threshold=0.5, warner=QUICK)
    tank_model = model.classes["water_tank"]
    assert tank_model.norm.conditions == ["booster_on"]
    assert tank_model.warner.learned_failures, tank_model.scored_by
    scored = assess(model, [frame_at(sim, tanks[0].id, int(sim.start) + 50 * 86400, model)], {})
    assert len(scored) == 1 and 0.0 <= scored[0].probability <= 1.0
    assert np.isfinite(scored[0].health)


NINE = """\
seed: 7
start: 2026-02-02T00:00:00Z
sites:
  - id: west
    buildings:
      - id: main
        rooms:
          - id: plant
            assets:
{groups}
live:
  modbus: {{devices_per_server: 4}}
"""


async def test_a_site_with_every_class_over_modbus_and_mqtt_and_registered_only(
    broker: Mosquitto, tmp_path: Path
) -> None:
    names = active_catalogue().names()
    assert len(names) == 9
    fleet_path = tmp_path / "fleet.yaml"
    groups = "\n".join(f"              - {{class: {c}, count: 1}}" for c in names)
    fleet_path.write_text(NINE.format(groups=groups))
    fleet = load_fleet_config(fleet_path)
    sim = Simulation(fleet, horizon_days=30)
    clock = frozen_clock(fleet, day=10.2)
    t0 = int(clock.now())
    # The register comes first: the watched assets, and two nobody watches.
    rows = fleet_register_rows(sim.assets, seed=1)
    rows += [
        dict(rows[0], id="west-main-plant-spare-lift", label_code="PW-SPARE-1"),
        dict(rows[1], id="west-main-store-spare-chiller", room="store", label_code="PW-SPARE-2"),
    ]
    with cloud(tmp_path, ["west-main"]) as c:
        report = _import(c, rows)
        assert (report.created, report.refused_rows) == (len(sim.assets) + 2, 0), report
        async with LiveSimulator(sim, live_config(fleet, broker.port), clock=clock) as live:
            paths = write_configs(fleet, live, broker.port, c.server.url, c.tokens, tmp_path)
            async with running(paths["west-main"]) as gw:
                await until(lambda: all(m.connected for m in gw.listeners), 10, "MQTT")
                live.step(t0)
                await until(
                    lambda: all(d["polls"] >= 3 for d in gw.links.status()), 15, "three polls"
                )
                await asyncio.sleep(1.0)
        # plain sensors' readings are stamped on arrival (the wall clock, after t0)
        samples = c.samples(sim, utc(t0 - 86400), utc(t0 + 10 * 365 * 86400))
        registry = _assets(tmp_path)
    by_key = {(s.asset, s.signal): s for s in samples if s.signal != DEVICE_ONLINE}
    carried = {"modbus": 0, "json": 0, "plain": 0}
    for asset in sim.assets:
        dev = live.wiring.device_of(asset.id)
        modbus = {p.signal for p in dev.profile.points if p.signal}
        for spec in asset.equipment.signals:
            sample = by_key.get((asset.id, spec.name))
            assert sample is not None, f"{asset.id}/{spec.name} never reached the cloud"
            want = expected_value(live, asset.id, spec.name, t0)
            if spec.name in plain_signals(asset.asset_class):
                assert sample.value == pytest.approx(want, abs=0.006)
                carried["plain"] += 1
                continue
            assert sample.value == pytest.approx(want, rel=1e-6, abs=1e-4), (asset.id, spec.name)
            carried["modbus" if spec.name in modbus else "json"] += 1
    assert carried["modbus"] > 60 and carried["json"] >= 9 and carried["plain"] >= 3, carried
    watched = {a.id for a in sim.assets}
    assert {a for a, (gw, _) in registry.items() if gw == "west-main"} == watched
    assert all(by == "register" for _, by in registry.values())
    assert registry["west-main-plant-spare-lift"][0] is None
    assert registry["west-main-store-spare-chiller"][0] is None
    assert {a.asset_class for a in sim.assets} == set(names)


def _import(c: Any, rows: list[dict[str, Any]]) -> Any:
    """Import the register straight into the cloud's database (as the CLI would)."""
    from sqlalchemy.orm import Session

    from cloud.db import make_engine
    from cloud.register import records

    with Session(make_engine(f"sqlite:///{c.root}/pw.db")) as s:
        return records.import_sheet(s, [(i + 2, r) for i, r in enumerate(rows)])


def _assets(root: Path) -> dict[str, tuple[str | None, str]]:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from cloud.db import make_engine
    from cloud.tables import Asset

    with Session(make_engine(f"sqlite:///{root}/pw.db")) as s:
        return {a.id: (a.gateway_id, a.registered_by) for a in s.scalars(select(Asset))}
