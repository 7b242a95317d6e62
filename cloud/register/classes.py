"""Asset classes as rows: the catalogue the cloud runs with, kept in step at start-up."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.errors import Invalid
from cloud.tables import AssetClassRow, Team
from kernel.catalogue import AssetClassDef, Catalogue


def sync_classes(session: Session, catalogue: Catalogue) -> int:
    """Insert or update a row per catalogue class; returns how many rows changed.

    A class removed from the catalogue keeps its row, so assets of it stay readable.
    """
    rows = {r.name: r for r in session.scalars(select(AssetClassRow))}
    changed = 0
    for cls in catalogue:
        definition = cls.model_dump(mode="json")
        row = rows.get(cls.name)
        if row is None:
            row = AssetClassRow(name=cls.name)
            session.add(row)
        elif row.definition == definition and row.source == str(catalogue.sources[cls.name]):
            continue
        row.name_en, row.name_zh = cls.names.en, cls.names.zh
        row.default_team, row.definition = cls.default_team, definition
        row.source, row.updated_at = str(catalogue.sources[cls.name]), datetime.now(UTC)
        changed += 1
    session.commit()
    return changed


def class_rows(session: Session) -> list[AssetClassRow]:
    """Every class the registry knows, by name."""
    return list(session.scalars(select(AssetClassRow).order_by(AssetClassRow.name)))


def default_team(session: Session, asset_class: str) -> str | None:
    """The class's default team, when that team exists."""
    row = session.get(AssetClassRow, asset_class)
    if row is None or session.get(Team, row.default_team) is None:
        return None
    return row.default_team


def class_def(row: AssetClassRow) -> AssetClassDef:
    """The full definition a row keeps."""
    return AssetClassDef.model_validate(row.definition)


def check_classes(session: Session, names: set[str]) -> None:
    """Refuse names that are not classes of the registry (422 ``unknown_class``)."""
    known = {r.name for r in class_rows(session)}
    unknown = sorted(names - known)
    if unknown:
        raise Invalid(
            f"unknown asset class: {', '.join(unknown)}; known: {', '.join(sorted(known))}",
            "unknown_class",
        )
