"""`plantwatch demo`: the whole system on one machine, on embedded defaults, shown live."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table

from plantwatch.cli import library_missing, refusal

# The stack loads every part (scikit-learn, FastAPI, pymodbus): imported when the demo runs,
# so that `plantwatch demo --help` answers at once.
if TYPE_CHECKING:
    from plantwatch.stack import Stack, StackOptions

console = Console()
DEFAULT_MODELS = Path("var") / "demo-models"


@dataclass
class Seen:
    """What the demo saw through the API and the alert sinks."""

    warnings: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    alarms: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    webhooks: int = 0
    mails: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    """How the run ended: the warning for the scenario's failure and its work order."""

    asset: str
    failure_at: int
    warning_lead_h: float | None
    offline_lead_h: int  # how far ahead scoring the simulation's own values warns
    stored_lead_h: float | None  # how far ahead hourly scoring of the stored readings warns
    order: dict[str, Any] | None
    webhooks: int
    mails: int
    seen: Seen

    @property
    def correct(self) -> bool:
        """A warning for the failing asset opened before its failure and its order routed."""
        return (
            self.warning_lead_h is not None
            and self.warning_lead_h > 0
            and self.order is not None
            and self.order["team_id"] is not None
        )


async def _look(stack: Stack) -> Seen:
    async with stack.client() as api:
        warnings = (await api.get("/api/v1/warnings")).json()
        orders = (await api.get("/api/v1/work-orders", params={"limit": 12})).json()
        alarms = (await api.get("/api/v1/alarms", params={"limit": 5})).json()
    with stack.inbox.lock:
        webhooks, mails = len(stack.inbox.webhooks), list(stack.inbox.mails)
    return Seen(warnings, orders, alarms, stack.stats(), webhooks, mails)


def _hours_before(stack: Stack, when: str) -> float:
    from datetime import datetime

    return (stack.scenario.failure.ts - datetime.fromisoformat(when).timestamp()) / 3600


def _view(stack: Stack, seen: Seen) -> Group:
    from plantwatch.stack import iso

    now, fail = stack.now(), stack.scenario.failure
    head = (
        f"simulated time [bold]{iso(now)}[/]  ({stack.options.speed:.0f}x)   "
        f"{fail.asset} fails at {iso(fail.ts)} "
        f"({'in ' + format((fail.ts - now) / 3600, '.1f') + ' h' if now < fail.ts else 'now past'})"
    )
    s = seen.stats
    flow = (
        f"readings acquired {s.get('acquired', 0):,}  spooled {s.get('spooled', 0):,}  "
        f"acknowledged by the cloud {s.get('acked', 0):,}   local alarm events "
        f"{s.get('alarms', 0)}"
    )
    warn = Table(title="predictive warnings", expand=True)
    for col in ("#", "asset", "mode", "p", "band", "TTF p50 [p10-p90] h", "opened", "state"):
        warn.add_column(col)
    for w in seen.warnings[:6]:
        warn.add_row(
            str(w["id"]),
            w["asset_id"],
            w["failure_mode"] or "-",
            f"{w['probability']:.2f}",
            w["risk_band"],
            f"{w['ttf_p50_h']:.0f} [{w['ttf_p10_h']:.0f}-{w['ttf_p90_h']:.0f}]",
            f"{_hours_before(stack, w['opened_at']):.1f} h before the failure"
            if w["asset_id"] == fail.asset
            else w["opened_at"][:16],
            w["state"] + (f" ({w['close_reason']})" if w["close_reason"] else ""),
        )
    orders = Table(title="work orders", expand=True)
    for col in ("#", "asset", "source", "priority", "team", "technician", "state", "escalated"):
        orders.add_column(col)
    for o in seen.orders[:8]:
        orders.add_row(
            str(o["id"]),
            o["asset_id"],
            o["source"],
            f"{o['priority']} ({o['policy']})",
            o["team_id"] or "-",
            o["assignee"] or "-",
            o["state"],
            ", ".join(f"L{e['level']} {e['notified']}" for e in o["escalations"]) or "-",
        )
    last_mail = seen.mails[-1] if seen.mails else "-"
    notes = f"notifications: webhook {seen.webhooks}, e-mail {len(seen.mails)}   last: {last_mail}"
    return Group(Panel(head + "\n" + flow), warn, orders, notes)


def outcome(stack: Stack, seen: Seen, stored_lead_h: float | None) -> Outcome:
    """The scenario's warning and order as the API shows them."""
    fail = stack.scenario.failure
    mine = [w for w in seen.warnings if w["asset_id"] == fail.asset]
    first = min(mine, key=lambda w: w["opened_at"]) if mine else None
    lead = _hours_before(stack, first["opened_at"]) if first else None
    order = next((o for o in seen.orders if first and o["id"] == first["work_order_id"]), None)
    return Outcome(
        fail.asset,
        fail.ts,
        lead,
        stack.scenario.opens_h,
        stored_lead_h,
        order,
        seen.webhooks,
        len(seen.mails),
        seen,
    )


async def run(
    opts: StackOptions,
    duration_s: float | None = None,
    screen: bool = True,
    after_failure_h: float = 1.0,
) -> Outcome:
    """Run until the failure is ``after_failure_h`` past (or ``duration_s``); the outcome."""
    from plantwatch.stack import running

    say = console.print if screen else logging.getLogger("plantwatch.demo").info
    async with running(opts, say) as stack:
        began = time.monotonic()
        end_at = stack.scenario.failure.ts + after_failure_h * 3600
        seen = await _look(stack)
        live = Live(_view(stack, seen), console=console, refresh_per_second=2) if screen else None
        with live or contextlib.nullcontext():
            while stack.now() < end_at:
                if duration_s is not None and time.monotonic() - began > duration_s:
                    break
                await asyncio.sleep(0.5)
                seen = await _look(stack)
                if live is not None:
                    live.update(_view(stack, seen))
        seen = await _look(stack)
        # scored at the instants the loop evaluated: the two differ by the loop's lag
        lead = outcome(stack, seen, None).warning_lead_h
        stored = await asyncio.to_thread(stack.stored_lead_h, 48, lead or 0.0)
        return outcome(stack, seen, stored)


def _report(out: Outcome) -> None:
    from plantwatch.stack import iso

    if out.warning_lead_h is None:
        console.print(f"[red]no warning for {out.asset} before the run ended[/]")
        return
    console.print(
        f"\n[bold green]warning for {out.asset} opened {out.warning_lead_h:.1f} h before its "
        f"failure at {iso(out.failure_at)}[/] (hourly scoring of the readings the cloud "
        f"stored: {'no warning' if out.stored_lead_h is None else f'{out.stored_lead_h:.1f} h'}"
        f"; of the simulation's own values: {out.offline_lead_h} h before)"
    )
    if out.order is not None:
        console.print(
            f"work order {out.order['id']} routed to team {out.order['team_id']}, assigned to "
            f"{out.order['assignee']}, {out.order['priority']} under {out.order['policy']}; "
            f"notifications delivered: webhook {out.webhooks}, e-mail {out.mails}"
        )


def demo(
    duration: float | None = typer.Option(
        None, "--duration", help="Stop after this many wall seconds"
    ),
    speed: float = typer.Option(1200.0, "--speed", help="Simulated seconds per wall second"),
    models: Path = typer.Option(
        DEFAULT_MODELS, "--models", help="Model registry (fitted here on first use)"
    ),
    mqtt_port: int | None = typer.Option(
        None, "--mqtt-port", help="A local MQTT broker for the sensors (default: Modbus only)"
    ),
) -> None:
    """Run plantwatch end to end on this machine: simulator, gateways, cloud, scoring,
    warnings, work orders and notifications, on an accelerated clock."""
    try:
        from plantwatch.stack import StackOptions
    except ModuleNotFoundError as exc:
        if not library_missing(exc):
            raise
        raise refusal("demo", exc) from None
    with tempfile.TemporaryDirectory(prefix="plantwatch-demo-") as tmp:
        opts = StackOptions(
            workdir=Path(tmp), speed=speed, registry=models.resolve(), mqtt_port=mqtt_port
        )
        try:
            out = asyncio.run(run(opts, duration))
        except KeyboardInterrupt:
            console.print("\ndemo stopped")
            return
    _report(out)
    console.print("demo stopped")
