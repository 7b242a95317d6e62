"""The whole system on one machine: simulator -> gateways -> cloud -> scoring -> work orders.

Used by ``plantwatch demo`` (embedded stores, local alert sinks) and by the end-to-end
tests (PostgreSQL, VictoriaMetrics, Mosquitto). Everything runs on one simulated clock,
accelerated, so two days before a simulated failure pass in a few minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from cloud.app import create_app
from cloud.security import Role
from cloud.settings import Settings
from cloud.storage.base import SeriesTags, TimeSeriesStore
from edge.config import load_config
from edge.daemon import Gateway
from kernel.aio import within
from kernel.catalogue import active_catalogue
from models.pipeline import FleetModel
from plantwatch.broker import find_binary, free_port, mosquitto
from plantwatch.quick_model import caught
from plantwatch.replay import stored_lead_h
from plantwatch.sinks import Inbox, MailSink, WebhookSink
from plantwatch.stack_setup import (
    SECRET,
    TEAMS,
    backfill,
    ensure_model,
    gateway_docs,
    gateway_totals,
    live_config,
    seed_database,
    wait_for,
    wait_registered,
)
from simulators.clock import SimClock
from simulators.config import FleetConfig, load_fleet_config
from simulators.deployment import json_signals, plain_signals
from simulators.engine import Event, Simulation
from simulators.gateway_configs import gateway_configs
from simulators.live import LiveSimulator

log = logging.getLogger("plantwatch.stack")
CAMPUS = Path(__file__).resolve().parent.parent / "simulators" / "fleets" / "campus.yaml"


@dataclass(frozen=True)
class StackOptions:
    """What to run and where; defaults are embedded stores and local alert sinks."""

    workdir: Path
    speed: float = 1200.0  # simulated seconds per wall second
    lead_h: float | None = None  # live run starts this long before the failure (default:
    # 8 h before the model's warning would open)
    history_days: float = 10.0  # backfilled before the live run, as a gateway's history
    fleet: Path = CAMPUS
    database_url: str | None = None  # default: SQLite in workdir
    tsdb_url: str | None = None  # VictoriaMetrics; default: the embedded store
    mqtt_port: int | None = None  # a broker for the MQTT sensors; None: a private Mosquitto
    # when one is installed, else Modbus only
    registry: Path | None = None  # default: workdir/models, fitted there when empty
    scoring_interval_s: float = 1.0
    scoring_settle_s: float = 3.0  # wall seconds; the simulated clock runs ``speed`` times
    escalation_check_s: float = 1.0
    poll_interval_s: float = 0.25


@dataclass
class Scenario:
    """The failure the run leads up to."""

    failure: Event
    opens_h: int  # hours ahead offline scoring warns
    start: int  # simulated epoch s the live run starts at


@dataclass
class Stack:
    """A running system: its clock, the API with a key per role, and what the sinks got."""

    options: StackOptions
    fleet: FleetConfig
    sim: Simulation
    model: FleetModel
    scenario: Scenario
    clock: SimClock
    url: str
    keys: dict[Role, str]
    inbox: Inbox
    live: LiveSimulator
    store: TimeSeriesStore
    gateways: dict[str, Gateway] = field(default_factory=dict)
    web_password: str = ""  # the demo's people sign in to the web app with it

    def now(self) -> int:
        """Simulated epoch seconds."""
        return int(self.clock.now())

    def client(self, role: Role = Role.VIEWER) -> httpx.AsyncClient:
        """An API client with the key of ``role``."""
        return httpx.AsyncClient(
            base_url=self.url, headers={"Authorization": f"Bearer {self.keys[role]}"}, timeout=10
        )

    @property
    def settle_h(self) -> float:
        """Simulated hours the scoring loop evaluates behind the clock (its settle time)."""
        return self.options.scoring_settle_s * self.options.speed / 3600

    def stored_lead_h(self, hours: int = 48, warning_lead_h: float = 0.0) -> float | None:
        """Hours before the failure that the scoring loop would open its warning on the
        readings the cloud stored (k high in a row, scored hourly up to now at the instants
        the loop evaluated for a warning opened ``warning_lead_h`` ahead: the settle time
        before it); None if it would not. Blocking: it reads the store.

        The live readings are sampled at other instants than ``scenario.opens_h``'s offline
        scoring, so their noise differs and this can be hours off that figure either way.
        The loop's own warning follows this one by its lag, or differs by a round that
        slipped a slot between two of its evaluations.
        """
        e = self.scenario.failure
        a = self.sim.by_id[e.asset]
        tags = SeriesTags(a.asset_class, a.site.id, a.building, a.room, a.id)
        settle = self.settle_h
        until = int(self.now() - settle * 3600)
        lead = stored_lead_h(
            self.store, self.model, tags, e.ts, until, hours, warning_lead_h + settle
        )
        return None if lead is None else lead - settle

    def stats(self) -> dict[str, int]:
        """Readings acquired, spooled, acknowledged by the cloud; local alarm events."""
        return gateway_totals(self.gateways.values())


def iso(t: float) -> str:
    """Simulated epoch seconds as a readable UTC time."""
    return f"{datetime.fromtimestamp(t, UTC):%Y-%m-%d %H:%M}"


class _QuietServer(uvicorn.Server):
    """uvicorn without its own signal handling: Ctrl-C stops the stack in order (gateways
    flush to a cloud still listening, then the cloud stops)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def running(
    opts: StackOptions,
    say: Callable[[str], None] = log.info,
    alert_settings: dict[str, Any] | None = None,
) -> AsyncIterator[Stack]:
    """Start everything, yield the running stack, stop everything (in reverse)."""
    opts.workdir.mkdir(parents=True, exist_ok=True)
    async with contextlib.AsyncExitStack() as resources:
        if opts.mqtt_port is None and (binary := find_binary("mosquitto")) is not None:
            broker = resources.enter_context(mosquitto(opts.workdir, binary))
            opts = dataclasses.replace(opts, mqtt_port=broker.port)
            say(f"MQTT sensors through a private Mosquitto on 127.0.0.1:{broker.port}")
        elif opts.mqtt_port is None:
            say("no Mosquitto installed: Modbus sensors only (`./dev demo` installs it)")
        stack = await resources.enter_async_context(_running(opts, say, alert_settings))
        yield stack


@contextlib.asynccontextmanager
async def _running(
    opts: StackOptions, say: Callable[[str], None], alert_settings: dict[str, Any] | None
) -> AsyncIterator[Stack]:
    fleet_cfg = load_fleet_config(opts.fleet)
    model = ensure_model(opts.registry or opts.workdir / "models", opts.workdir / "fit", say)
    sim = Simulation(fleet_cfg)
    # Without a broker the MQTT sensors' signals never arrive: pick a failure the model
    # sees coming without them.
    unseen = (
        {c: frozenset(json_signals(c) + plain_signals(c)) for c in active_catalogue().names()}
        if opts.mqtt_port is None
        else None
    )
    failure, opens_h = caught(sim, model, after_days=opts.history_days + 4, unseen=unseen)
    lead_h = opts.lead_h if opts.lead_h is not None else opens_h + 8
    start = int(failure.ts - lead_h * 3600)
    scenario = Scenario(failure, opens_h, start)
    gw_ids = list(gateway_configs(fleet_cfg))
    db_url = opts.database_url or f"sqlite:///{opts.workdir}/plantwatch.db"
    web_password = secrets.token_urlsafe(9)  # the demo's people sign in with it
    tokens, keys = seed_database(db_url, gw_ids, datetime.fromtimestamp(start, UTC), web_password)
    port = free_port()
    inbox = Inbox()
    webhook, mail = WebhookSink(inbox), MailSink(inbox)
    webhook.start()
    mail.start()
    wall0 = time.time()
    clock = SimClock(start=start, speed=opts.speed)
    settings = Settings(
        secret_key=SECRET,
        database_url=db_url,
        tsdb_url=opts.tsdb_url,
        embedded_tsdb_path=str(opts.workdir / "timeseries.db"),
        model_registry=str(opts.registry or opts.workdir / "models"),
        scoring_interval_s=opts.scoring_interval_s,
        scoring_settle_s=opts.scoring_settle_s,
        escalation_check_s=opts.escalation_check_s,
        clock_sim_origin=float(start),
        clock_wall_origin=wall0,
        clock_speed=opts.speed,
        alert_webhook_url=webhook.url,
        alert_smtp_host="127.0.0.1",
        alert_smtp_port=mail.port,
        alert_email_to="maintenance@campus.example",
        public_url=f"http://127.0.0.1:{port}",
        **(alert_settings or {}),
        _env_file=None,
    )
    app = create_app(settings)
    server = _QuietServer(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    await wait_for(lambda: server.started, 30, "the cloud to start")
    url = f"http://127.0.0.1:{port}"
    live_cfg = live_config(opts.speed, start, opts.mqtt_port)
    tasks: list[asyncio.Task[None]] = []
    gateways: dict[str, Gateway] = {}
    store: TimeSeriesStore = app.state.store  # the cloud's own, opened at its start-up
    try:
        async with LiveSimulator(sim, live_cfg, clock) as live:
            stack = Stack(
                opts,
                fleet_cfg,
                sim,
                model,
                scenario,
                clock,
                url,
                keys,
                inbox,
                live,
                store,
                gateways,
                web_password,
            )
            crews = "; ".join(f"{', '.join(p)}: {n}" for n, p in TEAMS.values())
            say(
                f"web app for people: {url}/app  (password for every demo user: "
                f"{web_password}) - dispatch: the board; requester: report a fault; "
                f"technicians {crews}; each team's lead: <team>-lead"
            )
            say(
                f"scenario: {failure.asset} fails at {iso(failure.ts)} "
                f"({failure.mode}); the live run starts {lead_h:.0f} h before, "
                f"at {opts.speed:.0f}x"
            )
            tasks.append(asyncio.create_task(live.run()))
            for gw_id, path in gateway_docs(
                fleet_cfg,
                opts.workdir,
                live.ports,
                url,
                tokens,
                opts.mqtt_port,
                opts.poll_interval_s,
                live.bbmd_address,
            ).items():
                gw = Gateway(load_config(path))
                stack.gateways[gw_id] = gw
                tasks.append(asyncio.create_task(gw.run(install_signals=False)))
            await wait_registered(db_url, len(sim.assets))
            sent = await backfill(url, sim, tokens, int(start - opts.history_days * 86400), start)
            say(f"backfilled {sent:,} readings of {opts.history_days:.0f} days' history")
            yield stack
    finally:
        for gw in gateways.values():  # first: they flush to a cloud still listening
            gw.stop()
        for task in tasks:
            if not task.done() and task is not tasks[0]:
                with contextlib.suppress(Exception):
                    await within(task, 30)
        if tasks:
            tasks[0].cancel()
            await asyncio.gather(tasks[0], return_exceptions=True)
        server.should_exit = True
        await asyncio.gather(serving, return_exceptions=True)
        webhook.stop()
        mail.stop()
