"""Predictive warnings: list, read, dismiss."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Path, Query

from cloud.api.deps import ClockDep, DispatcherDep, NotifierDep, SessionDep, ViewerDep
from cloud.api.errors import AUTHENTICATED, documented
from cloud.schemas import WarningDismiss, WarningPublic
from cloud.tables import WarningRow
from cloud.warnings import warning_records
from cloud.workorders import lifecycle as lc
from cloud.workorders import order_records as orders
from cloud.workorders.announcements import order_group

router = APIRouter(prefix="/api/v1/warnings", tags=["warnings"], responses=AUTHENTICATED)
NO_WARNING = documented({404: "No such warning"})
WarningId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Warning number")]


@router.get("", response_model=list[WarningPublic])
def list_warnings(
    _: ViewerDep,
    session: SessionDep,
    state: Annotated[Literal["open", "closed"] | None, Query()] = None,
    asset: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[WarningRow]:
    """Warnings, newest first, filtered by state or asset."""
    return warning_records.list_warnings(session, state, asset, limit)


@router.get("/{warning_id}", response_model=WarningPublic, responses=NO_WARNING)
def get_warning(warning_id: WarningId, _: ViewerDep, session: SessionDep) -> WarningRow:
    """One warning with its contributing signals."""
    return warning_records.get_warning(session, warning_id)


@router.post(
    "/{warning_id}/dismiss",
    response_model=WarningPublic,
    responses=documented({404: "No such warning", 409: "The warning is already closed"}),
)
def dismiss(
    warning_id: WarningId,
    body: WarningDismiss,
    key: DispatcherDep,
    session: SessionDep,
    notifier: NotifierDep,
    clock: ClockDep,
    background: BackgroundTasks,
) -> WarningRow:
    """Close a warning as not worth acting on; its work order is cancelled if not started."""
    now = clock.now()
    w = warning_records.dismiss(session, warning_id, body.reason, key.name, now)
    if w.work_order_id is not None:
        order = orders.get(session, w.work_order_id)
        if order.state == lc.State.CANCELLED.value:
            background.add_task(notifier.notify, order_group(order, now))
    return w
