"""What every API schema shares: stored times shown with their zone, strict input."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# SQLite hands stored times back without their zone; everything stored is UTC, and every
# time the API shows carries its zone.
Utc = Annotated[
    datetime, AfterValidator(lambda t: t if t.tzinfo is not None else t.replace(tzinfo=UTC))
]


class Out(BaseModel):
    """An answer built from a database row."""

    model_config = ConfigDict(from_attributes=True)


class In(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    """Why a request was refused."""

    detail: str
    reason: str = Field(description="Machine-readable reason, also the metrics label")
    items: list[str] = Field(default_factory=list, description="The offending items, if any")
