"""What the local stack puts in place before it runs: the database (gateways, keys, teams,
routes, rosters, a maintenance plan), the gateways' configs, and history as backlog."""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import yaml
from sqlalchemy.orm import Session

from cloud import crud
from cloud.db import make_engine, migrate, session_factory
from cloud.people.users import PersonRole, put_user
from cloud.security import Role
from cloud.tables import RouteRow, ShiftRow, Team
from cloud.workorders.preventive import default_rules, set_plan
from edge.daemon import Gateway
from kernel.catalogue import active_catalogue
from kernel.contract import Batch, Reading
from models import registry
from models.pipeline import FleetModel
from plantwatch.quick_model import fit_quick, register
from simulators.config import FleetConfig, LiveConfig, MqttLive
from simulators.deployment import write_profiles
from simulators.engine import Simulation
from simulators.gateway_configs import Endpoints, gateway_configs

SECRET = "plantwatch-local-stack-secret"
STEP = 600
# Who works on what: teams by asset class, two technicians on duty in each.
TEAMS = {
    "hvac": ("HVAC", ("ana", "ben")),
    "lifts": ("Lifts", ("carl", "dina")),
    "mechanical": ("Pumps and mechanical", ("eve", "femi")),
    "electrical": ("Electrical", ("gio", "hana")),
}


def seed_people(session: Session, password: str) -> list[tuple[str, str]]:
    """Demo users for the web app, all with ``password``: (user name, what they do)."""
    out = []
    for team, (name, people) in TEAMS.items():
        for who in (*people, f"{team}-lead"):
            put_user(
                session,
                who,
                name=who.replace("-", " ").title(),
                email=f"{who}@campus.example",
                roles=[PersonRole.TECHNICIAN],
                teams=[team],
                password=password,
            )
            out.append((who, f"technician, {name}"))
    for who, role in (
        ("dispatch", PersonRole.DISPATCHER),
        ("estates-supervisor", PersonRole.SUPERVISOR),
        ("requester", PersonRole.REQUESTER),
        ("admin", PersonRole.ADMIN),
    ):
        put_user(session, who, email=f"{who}@campus.example", roles=[role], password=password)
        out.append((who, role.value))
    return out


def seed_database(
    url: str, gateways: list[str], start: datetime, password: str | None = None
) -> tuple[dict[str, str], dict[Role, str]]:
    """Gateways with tokens, a key per role, teams, routes, duty rosters and a PM plan; with
    ``password``, the demo's people who sign in to the web app."""
    migrate(url)
    engine = make_engine(url)
    tokens, keys = {}, {}
    with session_factory(engine)() as s:
        for gw in gateways:
            crud.create_gateway(s, gw)
            tokens[gw] = crud.issue_gateway_token(s, SECRET, gw)[1]
        for role in Role:
            keys[role] = crud.create_api_key(s, SECRET, f"stack-{role.value}", role)[1]
        s.add_all(
            Team(id=team, name=name, lead=f"{team}-lead", supervisor="estates-supervisor")
            for team, (name, _) in TEAMS.items()
        )
        s.flush()  # the shifts and routes refer to the teams
        for team, (_, people) in TEAMS.items():
            for who in people:
                s.add(
                    ShiftRow(
                        technician=who,
                        team_id=team,
                        starts_at=start - timedelta(days=30),
                        ends_at=start + timedelta(days=60),
                    )
                )
        for i, c in enumerate(active_catalogue()):
            s.add(RouteRow(position=i, asset_class=c.name, fault="*", team_id=c.default_team))
        s.commit()
        set_plan(s, default_rules(), start)
        if password is not None:
            seed_people(s, password)
    engine.dispose()
    return tokens, keys


def gateway_docs(
    fleet: FleetConfig,
    workdir: Path,
    ports: list[int],
    url: str,
    tokens: dict[str, str],
    mqtt_port: int | None,
    poll_interval_s: float,
    bbmd: str | None = None,
) -> dict[str, Path]:
    """Each gateway's config and token file under ``workdir``, pointing at this stack."""
    ep = Endpoints(
        modbus_ports=tuple(ports),
        bacnet_bbmd=bbmd,
        mqtt_port=mqtt_port or 1883,
        cloud_url=url,
        token_dir=str(workdir),
        spool_dir=str(workdir),
        health_port=0,
        poll_interval_s=poll_interval_s,
        profiles_dir=str(write_profiles(workdir / "profiles")),
    )
    out = {}
    for gw_id, doc in gateway_configs(fleet, ep).items():
        (workdir / f"{gw_id}.token").write_text(tokens[gw_id])
        doc["uplink"]["interval_s"] = 0.5
        if mqtt_port is None:
            doc["mqtt"] = []
        path = workdir / f"{gw_id}.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        out[gw_id] = path
    return out


async def backfill(url: str, sim: Simulation, tokens: dict[str, str], start: int, end: int) -> int:
    """History before the live run, sent as each gateway would send its backlog."""
    t = np.arange(start // STEP * STEP, end, STEP, dtype=np.int64)
    sent = 0
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for asset in sim.assets:
            values = sim.readings(asset, t)
            readings = [
                Reading(asset.id, s, int(ts) * 1000, float(v))
                for s, col in values.items()
                for ts, v in zip(t, col, strict=True)
                if np.isfinite(v)
            ]
            gw = f"{asset.site.id}-{asset.building}"  # one gateway per building
            for i in range(0, len(readings), 40_000):
                batch = Batch.of(gw, f"history-{asset.id}-{i}", readings[i : i + 40_000], True)
                rsp = await client.post(
                    "/api/v1/ingest",
                    content=gzip.compress(batch.model_dump_json().encode()),
                    headers={
                        "Authorization": f"Bearer {tokens[gw]}",
                        "Content-Type": "application/json",
                        "Content-Encoding": "gzip",
                    },
                )
                rsp.raise_for_status()
                sent += len(readings[i : i + 40_000])
    return sent


def ensure_model(reg: Path, root: Path, say: Callable[[str], None]) -> FleetModel:
    """The newest model in ``reg``, or one fitted now on a small simulated fleet."""
    if not registry.versions(reg):
        say("fitting a model on a simulated fleet of 16 assets x 240 days (about half a minute)")
        register(reg, fit_quick(root))
    fleet, meta = registry.load(reg)
    say(f"model {meta['version']}: threshold {fleet.threshold}, k={fleet.consecutive}")
    return fleet


async def wait_for(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll ``check`` every 0.1 s until it holds; TimeoutError after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s} s waiting for {what}")
        await asyncio.sleep(0.1)


GATEWAY_TOTALS = {
    "acquired": "plantwatch_gateway_readings_acquired_total",
    "spooled": "plantwatch_gateway_readings_spooled_total",
    "acked": "plantwatch_gateway_readings_sent_total",
    "alarms": "plantwatch_gateway_alarms_total",
}


def gateway_totals(gateways: Iterable[Gateway]) -> dict[str, int]:
    """Readings acquired, spooled and acknowledged, and local alarm events, over gateways
    (read from each gateway's own metrics)."""
    out = dict.fromkeys(GATEWAY_TOTALS, 0)
    wanted = {name: key for key, name in GATEWAY_TOTALS.items()}
    for gw in gateways:
        for metric in gw.metrics.registry.collect():
            for sample in metric.samples:
                if (key := wanted.get(sample.name)) is not None:
                    out[key] += int(sample.value)
    return out


def live_config(speed: float, start: int, mqtt_port: int | None) -> LiveConfig:
    """The live simulator of the local stack: every protocol on free loopback ports, MQTT
    sensors at QoS 1 when a broker is there."""
    return LiveConfig(
        speed=speed,
        tick_s=0.25,
        start=datetime.fromtimestamp(start, UTC),
        modbus={"base_port": 0, "devices_per_server": 4},
        bacnet={"base_port": 0},
        mqtt=MqttLive(
            enabled=mqtt_port is not None,
            port=mqtt_port or 1883,
            qos=1,
            json_interval_s=STEP / 2,
            plain_interval_s=STEP,
        ),
    )


async def wait_registered(db_url: str, assets: int) -> None:
    """Wait until the gateways' manifests registered ``assets`` assets."""
    engine = make_engine(db_url)
    factory = session_factory(engine)

    def registered() -> bool:
        with factory() as s:
            return len(crud.list_assets(s)) == assets

    try:
        await wait_for(registered, 60, "the gateways' manifests")
    finally:
        engine.dispose()
