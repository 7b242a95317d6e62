"""Register entries: one row of the equipment register, checked, compared and applied."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.register.classes import class_rows
from cloud.tables import Asset
from kernel.contract import Identifier

Criticality = Literal["low", "medium", "high", "critical"]
# Spreadsheet columns, in the order export writes them; "class" is the asset class.
COLUMNS = (
    "id",
    "site",
    "building",
    "room",
    "class",
    "model",
    "make",
    "serial_number",
    "install_date",
    "purchase_value",
    "currency",
    "warranty_end",
    "criticality",
    "label_code",
)
# Fields a gateway's manifest also states; the two must agree.
SHARED = ("site", "building", "room", "asset_class", "model", "install_date")


class RegisterEntry(BaseModel):
    """One piece of equipment as the register records it."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: Identifier
    site: Identifier
    building: Identifier
    room: Identifier
    asset_class: Identifier = Field(alias="class")
    model: str = Field(min_length=1, max_length=100)
    make: str = Field(default="", max_length=100)
    serial_number: str = Field(default="", max_length=100)
    install_date: date
    purchase_value: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    currency: str = Field(default="", pattern=r"^([A-Z]{3})?$", description="ISO 4217")
    warranty_end: date | None = None
    criticality: Criticality = "medium"
    label_code: str | None = Field(default=None, min_length=1, max_length=64)

    @field_validator("model", "make", "serial_number", "label_code")
    @classmethod
    def _printable(cls, v: str | None) -> str | None:
        if v is not None and any(ord(c) < 32 for c in v):
            raise ValueError("control characters are not allowed")
        return v

    @classmethod
    def of(cls, asset: Asset) -> RegisterEntry:
        """The entry of a stored asset."""
        return cls.model_validate({k: getattr(asset, k) for k in cls.model_fields})

    def row(self) -> dict[str, Any]:
        """Spreadsheet cells keyed by column."""
        return self.model_dump(by_alias=True)


@dataclass(frozen=True)
class Problem:
    """A refused row: its number in the sheet (header is row 1), the column and why."""

    row: int
    column: str
    reason: str


@dataclass
class ImportReport:
    """What an import did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[Problem] = field(default_factory=list)

    @property
    def refused_rows(self) -> int:
        """How many rows were refused (a row may have several problems)."""
        return len({p.row for p in self.refused})


def _blank_to_none(cells: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (None if v is None or (isinstance(v, str) and not v.strip()) else v)
        for k, v in cells.items()
    }


def parse_rows(
    rows: list[tuple[int, dict[str, Any]]], report: ImportReport
) -> list[tuple[int, RegisterEntry]]:
    """Validate each row; refused ones go to ``report`` with row and column."""
    out = []
    for number, cells in rows:
        data = {k: v for k, v in _blank_to_none(cells).items() if v is not None}
        try:
            out.append((number, RegisterEntry.model_validate(data)))
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                column = str(err["loc"][0]) if err["loc"] else ""
                report.refused.append(Problem(number, column, err["msg"]))
    return out


def _check_row(
    entry: RegisterEntry, asset: Asset | None, classes: set[str], labels: dict[str, str]
) -> list[tuple[str, str]]:
    problems = []
    if entry.asset_class not in classes:
        problems.append(("class", f"unknown asset class {entry.asset_class!r}"))
    if entry.label_code is not None and labels.get(entry.label_code, entry.id) != entry.id:
        problems.append(("label_code", f"already the label of {labels[entry.label_code]}"))
    if asset is not None and asset.gateway_id is not None and asset.registered_by == "manifest":
        for f in SHARED:
            if getattr(asset, f) != getattr(entry, f):
                column = "class" if f == "asset_class" else f
                problems.append((column, f"gateway {asset.gateway_id} reports {getattr(asset, f)}"))
    return problems


def apply_entries(
    session: Session,
    rows: list[tuple[int, RegisterEntry]],
    report: ImportReport,
    commit: bool = True,
) -> None:
    """Create or update each entry; a row equal to what is stored changes nothing."""
    ids = [e.id for _, e in rows]
    stored = {a.id: a for a in session.scalars(select(Asset))} if ids else {}
    labels = {a.label_code: a.id for a in stored.values() if a.label_code}
    classes = {r.name for r in class_rows(session)}
    seen: dict[str, int] = {}
    now = datetime.now(UTC)
    for number, entry in rows:
        if entry.id in seen:
            report.refused.append(Problem(number, "id", f"also on row {seen[entry.id]}"))
            continue
        seen[entry.id] = number
        asset = stored.get(entry.id)
        problems = _check_row(entry, asset, classes, labels)
        if problems:
            report.refused.extend(Problem(number, c, r) for c, r in problems)
            continue
        if (
            asset is not None
            and RegisterEntry.of(asset) == entry
            and asset.registered_by == "register"
        ):
            report.unchanged += 1
            continue
        if asset is None:
            asset = Asset(id=entry.id, gateway_id=None)
            session.add(asset)
            stored[entry.id] = asset
            report.created += 1
        else:
            report.updated += 1
        for k in RegisterEntry.model_fields:
            setattr(asset, k, getattr(entry, k))
        asset.registered_by, asset.updated_at = "register", now
        if entry.label_code:
            labels[entry.label_code] = entry.id
    if commit:
        session.commit()
