"""Reporting a fault and following it, and the photos people attach to orders."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, File, Form, Query, Request, UploadFile
from sqlalchemy import select
from starlette.responses import FileResponse, RedirectResponse, Response

from cloud.api.deps import ClockDep, NotifierDep, SessionDep, SettingsDep
from cloud.errors import Invalid, NotFound
from cloud.people import photos
from cloud.people.access import check_see
from cloud.tables import Asset, WorkOrderRow
from cloud.web.deps import ViewerWeb, check_csrf, page
from cloud.workorders import order_records as orders
from cloud.workorders.announcements import order_group
from cloud.workorders.sla import Priority

router = APIRouter(prefix="/app", include_in_schema=False)
Text = Annotated[str, Form(max_length=500)]
Photo = Annotated[UploadFile | None, File()]


async def _read(upload: UploadFile | None, limit: int) -> bytes | None:
    if upload is None or not upload.filename:
        return None
    data = await upload.read(limit + 1)  # one byte more tells "too large" without reading all
    return data or None


@router.get("/requests")
def my_requests(request: Request, viewer: ViewerWeb, session: SessionDep) -> Response:
    """What the person reported, newest first; a notice once the work is done."""
    rows = list(
        session.scalars(
            select(WorkOrderRow)
            .where(WorkOrderRow.reported_by == viewer.person.username)
            .order_by(WorkOrderRow.id.desc())
            .limit(100)
        )
    )
    return page(request, "requests.html", viewer, rows=rows)


def _assets(session: SessionDep) -> list[Asset]:
    return list(session.scalars(select(Asset).where(Asset.retired.is_(False)).order_by(Asset.id)))


@router.get("/report")
def report_page(
    request: Request,
    viewer: ViewerWeb,
    session: SessionDep,
    asset: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """Report a fault: the asset by its label (scanned or typed) or from the list."""
    return page(request, "report.html", viewer, assets=_assets(session), chosen=asset, error="")


@router.post("/report")
async def report(
    request: Request,
    viewer: ViewerWeb,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    notifier: NotifierDep,
    background: BackgroundTasks,
    csrf: Text,
    asset: Annotated[str, Form(max_length=200)],
    description: Annotated[str, Form(min_length=3, max_length=500)],
    photo: Photo = None,
    urgency: Annotated[str, Form(pattern="^(urgent|high|normal)$")] = "normal",
) -> Response:
    """Open an order for the asset, routed and paged like any other, with its photo."""
    check_csrf(viewer, csrf)
    code = asset.strip().rstrip("/").rsplit("/", 1)[-1].removeprefix("report?asset=")
    try:
        data = await _read(photo, settings.max_photo_bytes)
        if data is not None:
            photos.kind_of(data)  # refuse a bad photo before the order exists
        rep = orders.Report(
            code, "request", "reported", description.strip()[:200], Priority(urgency)
        )
        row = orders.report(session, rep, viewer.person.username, clock.now())
        if data is not None:
            folder = Path(settings.upload_dir)
            photos.attach(
                session,
                folder,
                row.id,
                viewer.person.username,
                data,
                settings.max_photo_bytes,
                clock.now(),
            )
    except (NotFound, Invalid) as exc:
        session.rollback()
        return page(
            request,
            "report.html",
            viewer,
            422,
            assets=_assets(session),
            chosen=code,
            error=exc.detail,
        )
    background.add_task(notifier.notify, order_group(row))
    background.add_task(notifier.page, row.id)
    return RedirectResponse(f"/app/orders/{row.id}", status_code=303)


@router.post("/orders/{order_id}/notes")
async def add_note(
    order_id: int,
    viewer: ViewerWeb,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    csrf: Text,
    text: Text = "",
    photo: Photo = None,
) -> Response:
    """A note and/or a photo on an order anyone who sees it may add."""
    check_csrf(viewer, csrf)
    row = orders.get(session, order_id)
    check_see(session, viewer.person, row)
    data = await _read(photo, settings.max_photo_bytes)
    if data is not None:
        photos.attach(
            session,
            Path(settings.upload_dir),
            order_id,
            viewer.person.username,
            data,
            settings.max_photo_bytes,
            clock.now(),
        )
    if text.strip() or data is not None:
        note = text.strip() or "photo added"
        orders.comment(session, order_id, note, viewer.person.username, clock.now())
    return RedirectResponse(f"/app/orders/{order_id}", status_code=303)


@router.get("/photos/{photo_id}")
def show_photo(
    photo_id: int, viewer: ViewerWeb, session: SessionDep, settings: SettingsDep
) -> Response:
    """A photo, to those who may see its order only."""
    att = photos.photo(session, photo_id)
    check_see(session, viewer.person, orders.get(session, att.order_id))
    return FileResponse(
        Path(settings.upload_dir) / att.stored_as,
        media_type=att.content_type,
        headers={"Cache-Control": "private, no-store"},
    )
