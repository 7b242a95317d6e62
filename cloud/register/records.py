"""Register operations the API, the admin page and the CLI share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud import crud
from cloud.errors import Conflict, Invalid
from cloud.register.entries import (
    COLUMNS,
    ImportReport,
    RegisterEntry,
    apply_entries,
    parse_rows,
)
from cloud.tables import Asset


def import_sheet(
    session: Session, rows: list[tuple[int, dict[str, Any]]], dry_run: bool = False
) -> ImportReport:
    """Validate and apply sheet rows; with ``dry_run`` report without storing anything."""
    report = ImportReport()
    entries = parse_rows(rows, report)
    apply_entries(session, entries, report, commit=not dry_run)
    if dry_run:
        session.rollback()
    return report


def export_rows(session: Session) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    """Columns and one row per asset, in id order."""
    assets = session.scalars(select(Asset).order_by(Asset.id))
    return COLUMNS, [RegisterEntry.of(a).row() for a in assets]


def put_entry(session: Session, entry: RegisterEntry) -> Asset:
    """Create or replace one entry; refused like an imported row would be."""
    report = ImportReport()
    apply_entries(session, [(1, entry)], report)
    if report.refused:
        detail = "; ".join(f"{p.column}: {p.reason}" for p in report.refused)
        conflict = any(p.reason.startswith("gateway ") for p in report.refused)
        raise (Conflict(detail, "register_conflict") if conflict else Invalid(detail, "refused"))
    return crud.get_asset(session, entry.id)
