"""Predictive warnings: list, read, dismiss."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Path, Query
from sqlalchemy import select

from cloud.alerts.setup import order_group
from cloud.api.deps import ClockDep, DispatcherDep, NotifierDep, SessionDep, ViewerDep
from cloud.ingest import Rejected
from cloud.schemas import WarningDismiss, WarningPublic
from cloud.tables import WarningRow
from cloud.warnings import warning_records
from cloud.workorders import lifecycle as lc
from cloud.workorders import order_records as orders

router = APIRouter(prefix="/api/v1/warnings", tags=["warnings"])
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
    q = select(WarningRow).order_by(WarningRow.id.desc()).limit(limit)
    if state is not None:
        q = q.where(WarningRow.state == state)
    if asset is not None:
        q = q.where(WarningRow.asset_id == asset)
    return list(session.scalars(q))


@router.get("/{warning_id}", response_model=WarningPublic)
def get_warning(warning_id: WarningId, _: ViewerDep, session: SessionDep) -> WarningRow:
    """One warning with its contributing signals."""
    w = session.get(WarningRow, warning_id)
    if w is None:
        raise Rejected(404, "unknown_warning", f"no warning {warning_id}")
    return w


@router.post("/{warning_id}/dismiss", response_model=WarningPublic)
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
    try:
        w = warning_records.dismiss(session, warning_id, body.reason, key.name, now)
    except orders.NotFound as exc:
        raise Rejected(404, "unknown_warning", str(exc)) from exc
    except lc.IllegalTransition as exc:
        session.rollback()
        raise Rejected(409, "already_closed", str(exc)) from exc
    if w.work_order_id is not None:
        order = orders.get(session, w.work_order_id)
        if order.state == lc.State.CANCELLED.value:
            background.add_task(notifier.notify, order_group(order, now))
    return w
