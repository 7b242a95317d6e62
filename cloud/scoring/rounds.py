"""Scoring rounds on the event loop: chunk by chunk, the next chunk read ahead, each
chunk's new work orders announced as soon as it is recorded, on a schedule until stopped."""

from __future__ import annotations

import asyncio
import logging
import time

from cloud.alerts.notifier import Notifier
from cloud.clock import pause
from cloud.scoring.loop import Round, Scorer, Windows
from cloud.workorders.announcements import order_group

log = logging.getLogger("plantwatch.cloud.scoring")


async def _announce(rnd: Round, notifier: Notifier | None) -> None:
    if rnd.changes is not None:
        for w in rnd.changes.opened:
            log.warning(
                "warning %d opened: %s p=%.2f (%s), work order %s",
                w.id,
                w.asset_id,
                w.probability,
                w.failure_mode or "mode not named",
                w.work_order_id,
            )
        if notifier is not None:
            for order in rnd.changes.orders:
                for d in await notifier.notify(order_group(order)):
                    if not d.ok:
                        log.error("work-order alert via %s failed: %s", d.channel, d.error)
                await notifier.page(order.id)


async def score_once(scorer: Scorer, notifier: Notifier | None = None) -> Round:
    """One round off the event loop, chunk by chunk; each chunk's new work orders are
    announced as soon as it is recorded (a large fleet does not delay the first alert).

    On a cold start (every window read) the next chunk's windows are read while this one is
    assessed: the store's read and the model share two cores. Later rounds read an hour a
    chunk, just before assessing it, so every chunk is scored on data as fresh as the last.
    """
    total = Round()
    plan = await asyncio.to_thread(scorer.plan)
    if plan is None or not plan.chunks:
        return total
    chunks = plan.chunks

    def read_ahead(k: int) -> asyncio.Future[Windows] | None:
        if not plan.cold or k >= len(chunks):
            return None
        return asyncio.ensure_future(asyncio.to_thread(scorer.read_chunk, plan, chunks[k]))

    ahead = read_ahead(0)
    try:
        for k, chunk in enumerate(chunks):
            read = await ahead if ahead is not None else None
            ahead = read_ahead(k + 1)
            rnd = await asyncio.to_thread(scorer.score_chunk, plan, chunk, read)
            await _announce(rnd, notifier)
            total.add(rnd)
    finally:
        if ahead is not None:
            ahead.cancel()  # a failed chunk leaves no read running unawaited
    return total


async def run(
    scorer: Scorer, every_s: float, notifier: Notifier, stop: asyncio.Event | None = None
) -> None:
    """Score until ``stop``; a failed round is logged and the next one runs on time."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        began = time.monotonic()
        try:
            rnd = await score_once(scorer, notifier)
            log.info(
                "scored %d of %d assets in %.2f s (%d stale, %d opened, %d closed)",
                rnd.scored,
                rnd.assets,
                rnd.seconds,
                rnd.stale,
                rnd.opened,
                rnd.closed,
            )
        except Exception:  # a store or database hiccup must not end scoring for good
            log.exception("scoring round failed")
        if await pause(stop, every_s - (time.monotonic() - began)):
            return
