"""The periodic work beside the API: escalation and preventive-maintenance checks, scoring,
and (when scheduled) retraining.

In one process with the API by default (`PLANTWATCH_BACKGROUND=true`); at scale the API
workers leave it to `plantwatch cloud worker` processes: one runs the checker, each scores
its partition. The loops run in one ``TaskGroup``; setting ``stop`` lets each finish the
pass it is in and return, so a shutdown never cuts a check or a scoring round in half.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from cloud import retraining
from cloud.alerts.notifier import Notifier
from cloud.leases import Lease
from cloud.register.lifecycle import policy_from
from cloud.scoring import rounds as scoring
from cloud.scoring.loop import Scorer
from cloud.settings import Settings
from cloud.storage.base import TimeSeriesStore
from cloud.workorders import checker

Loop = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


def loops(
    settings: Settings,
    sessions: sessionmaker[Session],
    store: TimeSeriesStore,
    notifier: Notifier,
    check: bool = True,
    score: bool = True,
) -> list[Loop]:
    """The loops this process runs (the scorer only with a model registry)."""
    out: list[Loop] = []
    if check:
        every, clock = settings.escalation_check_s, settings.clock
        lease = Lease("checker", settings.checker_lease_s)
        counters, tz = checker.store_counters(store), ZoneInfo(settings.site_timezone)
        policy = policy_from(settings)
        out.append(
            lambda stop: checker.run(
                sessions, every, notifier, clock, stop, lease, counters, tz, policy
            )
        )
    if score and settings.model_registry is not None:
        scorer = Scorer(
            sessions,
            store,
            Path(settings.model_registry),
            settings.partition,
            clock=settings.clock.now_s,
            close_after=settings.warning_close_after,
            settle_s=settings.scoring_settle_s * settings.clock_speed,
        )
        every_s = settings.scoring_interval_s
        out.append(lambda stop: scoring.run(scorer, every_s, notifier, stop))
    if check and settings.model_registry is not None and settings.retrain_every_days > 0:
        reg, days = Path(settings.model_registry), settings.retrain_every_days
        history, lease = settings.retrain_history_days, Lease("retrain", 6 * 3600)
        out.append(lambda stop: retraining.run(sessions, store, reg, days, history, stop, lease))
    return out


async def run(work: list[Loop], stop: asyncio.Event) -> None:
    """Run every loop until ``stop`` is set, then wait for each to finish its pass."""
    async with asyncio.TaskGroup() as tg:
        for loop in work:
            tg.create_task(loop(stop))
