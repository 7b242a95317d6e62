"""Register schemas: classes out, import reports out, lifecycle figures out."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ClassPublic(BaseModel):
    """An asset class as the registry holds it."""

    name: str
    name_en: str
    name_zh: str
    default_team: str
    definition: dict[str, Any]


class RefusedRow(BaseModel):
    """A row the import refused: sheet row (header is 1), column, reason."""

    row: int
    column: str
    reason: str


class ImportPublic(BaseModel):
    """What an import did; nothing of a refused row is stored."""

    created: int
    updated: int
    unchanged: int
    refused_rows: int
    refused: list[RefusedRow]
