"""Each asset's current risk as the scorer keeps it: which assets stand highest, and which
incidents a person's ruling holds without an open warning."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from cloud.api.deps import SessionDep, ViewerDep
from cloud.api.errors import AUTHENTICATED
from cloud.schemas import RiskPublic
from cloud.tables import RiskStateRow
from cloud.warnings import warning_records

router = APIRouter(prefix="/api/v1/risk", tags=["warnings"], responses=AUTHENTICATED)


@router.get("", response_model=list[RiskPublic])
def list_risk(
    _: ViewerDep,
    session: SessionDep,
    band: Annotated[Literal["low", "elevated", "high", "critical"] | None, Query()] = None,
    held: Annotated[bool | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[RiskStateRow]:
    """Assets' latest evaluations, the riskiest first, filtered by risk band or hold."""
    return warning_records.list_risk(session, band, held, limit)
