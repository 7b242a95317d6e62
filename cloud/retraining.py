"""The retraining schedule: every so many days one worker exports what happened and runs a
retraining round (``models/retrain.py``); the model in service changes only when the
challenger wins. A lease makes one worker of many act; a marker in the registry says when
the last round ran, so a restart or another worker does not run it again early."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from cloud.clock import pause
from cloud.history_export import export_history, since_days
from cloud.leases import Lease
from cloud.storage.base import TimeSeriesStore
from models.data import load_dataset
from models.evaluate import ShortHistory
from models.retrain import retrain

log = logging.getLogger("plantwatch.cloud.retraining")
LAST_ROUND = "LAST_RETRAIN"


def last_round(registry: Path) -> datetime | None:
    """When the last scheduled round ran (None: never)."""
    marker = registry / LAST_ROUND
    if not marker.is_file():
        return None
    return datetime.fromisoformat(marker.read_text().strip())


def round_once(
    sessions: sessionmaker[Session],
    store: TimeSeriesStore,
    registry: Path,
    history_days: float,
    now: datetime,
) -> str | None:
    """Export the last ``history_days`` and retrain on them; the stored version's name
    (None: the history is still too short for the protocol, and the round waits for the
    next one)."""
    folder = registry / "data" / now.strftime("%Y%m%dT%H%M%S")
    with sessions() as session:
        exported = export_history(session, store, folder, since_days(history_days, now), now)
    log.info("exported %d readings and %s for retraining", exported.readings, exported.events)
    version: str | None = None
    try:
        version, decision = retrain(load_dataset(folder), folder, registry)
        log.warning(
            "retraining: challenger %s %s: %s",
            version,
            "put in service" if decision.promote else "kept out of service",
            decision.reason,
        )
    except ShortHistory as exc:
        log.warning("retraining: skipped until the next round: %s", exc)
    registry.mkdir(parents=True, exist_ok=True)
    (registry / LAST_ROUND).write_text(now.isoformat() + "\n")
    return version


async def run(
    sessions: sessionmaker[Session],
    store: TimeSeriesStore,
    registry: Path,
    every_days: float,
    history_days: float,
    stop: asyncio.Event,
    lease: Lease,
) -> None:
    """Retrain every ``every_days`` until ``stop``; a failed round is logged and retried at
    the next check."""
    while not stop.is_set():
        now = datetime.now(UTC)
        last = last_round(registry)
        due = last is None or (now - last).total_seconds() >= every_days * 86_400
        if due:
            with sessions() as session:
                mine = lease.hold(session, now)
            if mine:
                try:
                    await asyncio.to_thread(
                        round_once, sessions, store, registry, history_days, now
                    )
                except Exception as exc:  # the scorer keeps the model in service meanwhile
                    log.error("retraining round failed: %s", exc)
        if await pause(stop, 3600):
            return
