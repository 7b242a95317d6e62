"""The equipment register: classes, spreadsheet import and export, one entry at a time."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from cloud.api.deps import AdminDep, ClockDep, SessionDep, SettingsDep, ViewerDep
from cloud.api.errors import AUTHENTICATED, documented
from cloud.errors import Invalid, NotFound
from cloud.register import records
from cloud.register.classes import class_rows
from cloud.register.entries import RegisterEntry
from cloud.register.lifecycle import Lifecycle, asset_costs, policy_from
from cloud.register.sheets import XLSX_TYPE, read_sheet, write_sheet
from cloud.schemas import AssetPublic
from cloud.schemas.register import ClassPublic, ImportPublic, RefusedRow

router = APIRouter(prefix="/api/v1", tags=["register"], responses=AUTHENTICATED)
MAX_SHEET_BYTES = 20 * 1024 * 1024


@router.get("/classes", response_model=list[ClassPublic])
def list_classes(_: ViewerDep, session: SessionDep) -> list[ClassPublic]:
    """Every asset class the registry knows, with its catalogue definition."""
    return [ClassPublic.model_validate(r, from_attributes=True) for r in class_rows(session)]


@router.post(
    "/register/import",
    response_model=ImportPublic,
    responses=documented({422: "Not a CSV or XLSX sheet"}),
)
async def import_register(
    _: AdminDep,
    session: SessionDep,
    request: Request,
    dry_run: bool = False,
) -> ImportPublic:
    """Import a CSV or XLSX register (by Content-Type); rows equal to the stored entry change
    nothing, refused rows are listed by row and column (admin)."""
    fmt = _format_of(request.headers.get("content-type", ""))
    data = await request.body()
    if len(data) > MAX_SHEET_BYTES:
        raise Invalid(f"the sheet is larger than {MAX_SHEET_BYTES} bytes", "bad_sheet")
    report = records.import_sheet(session, read_sheet(data, fmt), dry_run=dry_run)
    return ImportPublic(
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        refused_rows=report.refused_rows,
        refused=[RefusedRow(row=p.row, column=p.column, reason=p.reason) for p in report.refused],
    )


@router.get(
    "/register/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, XLSX_TYPE: {}}, "description": "The sheet"}},
)
def export_register(
    _: ViewerDep,
    session: SessionDep,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
) -> Response:
    """The register as the import reads it."""
    body = write_sheet(*records.export_rows(session), format)
    kind = "text/csv; charset=utf-8" if format == "csv" else XLSX_TYPE
    headers = {"Content-Disposition": f'attachment; filename="register.{format}"'}
    return Response(body, media_type=kind, headers=headers)


@router.get(
    "/lifecycle",
    response_model=list[Lifecycle],
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}},
)
def lifecycle_all(
    _: ViewerDep,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
    replace_only: bool = False,
) -> list[Lifecycle] | Response:
    """Every asset's repairs, repair cost, downtime, availability, lifecycle cost per year
    and replacement recommendation (as JSON or CSV)."""
    rows = [
        x
        for x in asset_costs(session, clock.now(), policy_from(settings))
        if x.replace or not replace_only
    ]
    if format == "json":
        return rows
    columns = tuple(f.name for f in dataclasses.fields(Lifecycle))
    body = write_sheet(columns, [dataclasses.asdict(r) for r in rows], "csv")
    headers = {"Content-Disposition": 'attachment; filename="lifecycle.csv"'}
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


@router.get(
    "/assets/{asset_id}/lifecycle",
    response_model=Lifecycle,
    responses=documented({404: "No asset"}),
)
def lifecycle_one(
    _: ViewerDep, session: SessionDep, settings: SettingsDep, clock: ClockDep, asset_id: str
) -> Lifecycle:
    """One asset's lifecycle figures."""
    found = asset_costs(session, clock.now(), policy_from(settings), asset_id)
    if not found:
        raise NotFound(f"no asset {asset_id}", "unknown_asset")
    return found[0]


@router.put(
    "/register/{asset_id}",
    response_model=AssetPublic,
    responses=documented({409: "Contradicts the gateway", 422: "Refused"}),
)
def put_entry(_: AdminDep, session: SessionDep, asset_id: str, entry: RegisterEntry) -> AssetPublic:
    """Create or replace one register entry (admin)."""
    if entry.id != asset_id:
        raise Invalid("the entry's id differs from the path", "id_mismatch")
    return AssetPublic.model_validate(records.put_entry(session, entry))


def _format_of(content_type: str) -> Literal["csv", "xlsx"]:
    kind = content_type.split(";")[0].strip().lower()
    if kind in ("text/csv", "application/csv"):
        return "csv"
    if kind == XLSX_TYPE:
        return "xlsx"
    raise Invalid(f"send text/csv or {XLSX_TYPE}, not {kind or 'nothing'}", "bad_sheet")
