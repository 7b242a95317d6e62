"""Local alarms forwarded by gateways."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query

from cloud import crud
from cloud.api.deps import ClockDep, GatewayDep, NotifierDep, SessionDep, ViewerDep
from cloud.api.errors import AUTHENTICATED, Rejected
from cloud.api.ingest_checks import parse_body
from cloud.api.routes.ingest import REFUSALS, BodyDep, request_schema
from cloud.schemas import AlarmAck, AlarmEventPublic
from cloud.workorders.announcements import order_group
from cloud.workorders.sources import orders_for_alarms
from kernel.contract import AlarmBatch

router = APIRouter(prefix="/api/v1/alarms", tags=["alarms"], responses=AUTHENTICATED)


@router.post(
    "",
    response_model=AlarmAck,
    responses=REFUSALS,
    openapi_extra=request_schema(AlarmBatch),
    summary="Store local alarm events",
)
def post_alarms(
    gateway: GatewayDep,
    body: BodyDep,
    session: SessionDep,
    notifier: NotifierDep,
    clock: ClockDep,
    background: BackgroundTasks,
) -> AlarmAck:
    """Store alarm events of the calling gateway's own assets (resends are not stored twice);
    a raised critical or warning alarm opens a work order unless one is open for it."""
    batch = parse_body(AlarmBatch, body)
    if batch.gateway_id != gateway.id or any(e.gateway_id != gateway.id for e in batch.events):
        raise Rejected(403, "wrong_gateway", f"alarms must be {gateway.id}'s own")
    # A gateway's alarms about itself (its spool cannot be written) name the gateway.
    owned = {a.id for a in crud.gateway_assets(session, gateway.id)} | {gateway.id}
    foreign = sorted({e.asset for e in batch.events} - owned)
    if foreign:
        raise Rejected(
            403,
            "asset_not_in_manifest",
            "assets not in this gateway's manifest",
            tuple(foreign[:20]),
        )
    stored = crud.record_alarm_events(session, gateway, batch.events)
    for order in orders_for_alarms(session, stored, clock.now()):
        background.add_task(notifier.notify, order_group(order))
        background.add_task(notifier.page, order.id)
    return AlarmAck(received=len(batch.events), stored=len(stored))


@router.get("", response_model=list[AlarmEventPublic])
def list_alarms(
    _: ViewerDep,
    session: SessionDep,
    asset: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AlarmEventPublic]:
    """Newest alarm events first, optionally for one asset."""
    return [
        AlarmEventPublic.model_validate(r) for r in crud.list_alarm_events(session, asset, limit)
    ]
