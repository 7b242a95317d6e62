"""The periodic work beside the API: escalation and preventive-maintenance checks, scoring.

In one process with the API by default (`PLANTWATCH_BACKGROUND=true`); at scale the API
workers leave it to `plantwatch cloud worker` processes: one runs the checker, each scores
its partition.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from cloud.alerts.notifier import Notifier
from cloud.scoring import loop as scoring
from cloud.scoring.loop import Scorer
from cloud.settings import Settings
from cloud.storage.base import TimeSeriesStore
from cloud.workorders import checker


def start(
    settings: Settings,
    sessions: sessionmaker[Session],
    store: TimeSeriesStore,
    notifier: Notifier,
    check: bool = True,
    score: bool = True,
) -> list[asyncio.Task[None]]:
    """Start the loops this process runs (the scorer only with a model registry)."""
    tasks = []
    if check:
        tasks.append(
            asyncio.create_task(
                checker.run(sessions, settings.escalation_check_s, notifier, settings.clock)
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
        )
        tasks.append(
            asyncio.create_task(scoring.run(scorer, settings.scoring_interval_s, notifier))
        )
    return tasks
