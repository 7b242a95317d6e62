"""The admin's register page: find, edit, import and export the equipment register (the
same operations as the API and the CLI)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request, UploadFile
from pydantic import ValidationError
from sqlalchemy import func, or_, select
from starlette.responses import RedirectResponse, Response

from cloud.api.deps import SessionDep
from cloud.errors import Conflict, Forbidden, Invalid
from cloud.people.users import PersonRole
from cloud.register import records
from cloud.register.classes import class_rows
from cloud.register.entries import COLUMNS, ImportReport, RegisterEntry
from cloud.register.sheets import XLSX_TYPE, read_sheet, write_sheet
from cloud.tables import Asset
from cloud.web.deps import Viewer, ViewerWeb, check_csrf, page

router = APIRouter(prefix="/app/admin/assets", include_in_schema=False)
Text = Annotated[str, Form(max_length=254)]
PER_PAGE = 100
MAX_SHEET_BYTES = 20 * 1024 * 1024


def _admin(viewer: Viewer) -> None:
    if not viewer.person.has(PersonRole.ADMIN):
        raise Forbidden("the register is kept by admins", "not_allowed")


def _show(
    request: Request,
    viewer: Viewer,
    session: SessionDep,
    q: str = "",
    offset: int = 0,
    entry: dict[str, Any] | None = None,
    report: ImportReport | None = None,
    error: str = "",
    status: int = 200,
) -> Response:
    found = select(Asset)
    if q:
        like = f"%{q}%"
        found = found.where(
            or_(Asset.id.ilike(like), Asset.room.ilike(like), Asset.label_code.ilike(like))
        )
    total = session.scalar(select(func.count()).select_from(found.subquery())) or 0
    assets = session.scalars(found.order_by(Asset.id).limit(PER_PAGE).offset(offset))
    classes = {c.name: c for c in class_rows(session)}
    return page(
        request,
        "admin_assets.html",
        viewer,
        status,
        assets=list(assets),
        total=total,
        q=q,
        offset=offset,
        per_page=PER_PAGE,
        classes=classes,
        entry=entry or {},
        report=report,
        error=error,
    )


@router.get("")
def register(
    request: Request,
    viewer: ViewerWeb,
    session: SessionDep,
    q: Annotated[str, Query(max_length=100)] = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    edit: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The register, searched by id, room or label; ``edit`` fills the form with an entry."""
    _admin(viewer)
    asset = session.get(Asset, edit) if edit else None
    entry = RegisterEntry.of(asset).model_dump(by_alias=True) if asset is not None else None
    return _show(request, viewer, session, q, offset, entry)


@router.post("")
async def put_entry(
    request: Request, viewer: ViewerWeb, session: SessionDep, csrf: Text
) -> Response:
    """Create or replace one entry from the form."""
    check_csrf(viewer, csrf)
    _admin(viewer)
    form = await request.form()
    cells = {c: str(form.get(c, "")).strip() for c in COLUMNS}
    data = {k: v for k, v in cells.items() if v}
    try:
        entry = RegisterEntry.model_validate(data)
        records.put_entry(session, entry)
    except ValidationError as exc:
        problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors(include_url=False))
        return _show(request, viewer, session, entry=cells, error=problems, status=422)
    except (Invalid, Conflict) as exc:
        session.rollback()
        status = 409 if isinstance(exc, Conflict) else 422
        return _show(request, viewer, session, entry=cells, error=exc.detail, status=status)
    return RedirectResponse(f"/app/admin/assets?q={entry.id}", status_code=303)


@router.post("/import")
async def import_sheet(
    request: Request,
    viewer: ViewerWeb,
    session: SessionDep,
    csrf: Text,
    sheet: UploadFile,
    dry_run: Annotated[bool, Form()] = False,
) -> Response:
    """Import a CSV or XLSX sheet; the report lists every refused row by row and column."""
    check_csrf(viewer, csrf)
    _admin(viewer)
    data = await sheet.read(MAX_SHEET_BYTES + 1)
    name = (sheet.filename or "").lower()
    fmt: Literal["csv", "xlsx"] = (
        "xlsx" if name.endswith(".xlsx") or sheet.content_type == XLSX_TYPE else "csv"
    )
    try:
        if len(data) > MAX_SHEET_BYTES:
            raise Invalid(f"the sheet is larger than {MAX_SHEET_BYTES} bytes", "bad_sheet")
        report = records.import_sheet(session, read_sheet(data, fmt), dry_run=dry_run)
    except Invalid as exc:
        return _show(request, viewer, session, error=exc.detail, status=422)
    return _show(request, viewer, session, report=report)


@router.get("/export")
def export(
    viewer: ViewerWeb,
    session: SessionDep,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
) -> Response:
    """Download the register as the import reads it."""
    _admin(viewer)
    body = write_sheet(*records.export_rows(session), format)
    kind = "text/csv; charset=utf-8" if format == "csv" else XLSX_TYPE
    headers = {"Content-Disposition": f'attachment; filename="register.{format}"'}
    return Response(body, media_type=kind, headers=headers)
