"""Who hears of a work order's step, the same for the API and the screens."""

from __future__ import annotations

from fastapi import BackgroundTasks

from cloud.alerts.notifier import Notifier
from cloud.tables import WorkOrderRow
from cloud.workorders import lifecycle as lc
from cloud.workorders.announcements import order_group

ENDED = (lc.State.COMPLETED.value, lc.State.CANCELLED.value)


def announce_step(row: WorkOrderRow, notifier: Notifier, background: BackgroundTasks) -> None:
    """After a step: an order that ended resolves its alert; a completed request tells its
    reporter, asking for a rating."""
    if row.state in ENDED:
        background.add_task(notifier.notify, order_group(row, row.steps[-1].at))
    if row.state == lc.State.COMPLETED.value and row.source == "request":
        background.add_task(notifier.tell_requester, row.id)
