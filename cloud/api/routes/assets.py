"""The asset registry and its time series, for people and dashboards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from cloud import crud
from cloud.api.deps import DispatcherDep, SessionDep, StoreDep, ViewerDep
from cloud.api.errors import AUTHENTICATED, Rejected, documented
from cloud.schemas import (
    AssetPublic,
    AssetUpdate,
    HistoryPublic,
    LatestPublic,
    PointPublic,
    SamplePublic,
)
from cloud.storage.base import SeriesTags
from kernel.contract import Identifier

router = APIRouter(prefix="/api/v1/assets", tags=["assets"], responses=AUTHENTICATED)
MAX_RAW_SPAN = timedelta(days=31)
MAX_POINTS = 100_000


def _tags(session: SessionDep, asset_id: str) -> SeriesTags:
    a = crud.get_asset(session, asset_id)
    return SeriesTags(a.asset_class, a.site, a.building, a.room, a.id)


@router.get("", response_model=list[AssetPublic])
def list_assets(
    _: ViewerDep,
    session: SessionDep,
    site: Identifier | None = None,
    asset_class: Identifier | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[AssetPublic]:
    """Registered assets, filtered by site and class."""
    rows = crud.list_assets(session, site, asset_class if asset_class else None, limit, offset)
    return [AssetPublic.model_validate(a) for a in rows]


@router.get("/{asset_id}", response_model=AssetPublic, responses=documented({404: "No asset"}))
def get_asset(_: ViewerDep, session: SessionDep, asset_id: str) -> AssetPublic:
    """One asset with its signals."""
    return AssetPublic.model_validate(crud.get_asset(session, asset_id))


@router.patch("/{asset_id}", response_model=AssetPublic, responses=documented({404: "No asset"}))
def update_asset(
    _: DispatcherDep, session: SessionDep, asset_id: str, change: AssetUpdate
) -> AssetPublic:
    """Change an asset's notes or retire it (dispatcher or admin)."""
    asset = crud.get_asset(session, asset_id)
    return AssetPublic.model_validate(crud.update_asset(session, asset, change))


@router.get(
    "/{asset_id}/latest", response_model=LatestPublic, responses=documented({404: "No asset"})
)
def latest(
    _: ViewerDep, session: SessionDep, store: StoreDep, asset_id: str, at: datetime | None = None
) -> LatestPublic:
    """Newest value of each signal (at or before ``at``, default now)."""
    samples = store.latest([_tags(session, asset_id)], _aware(at) if at else None)
    return LatestPublic(
        asset=asset_id,
        samples=[
            SamplePublic(signal=s.signal, ts=s.ts, value=s.value, quality=s.quality)
            for s in samples
        ],
    )


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


@router.get(
    "/{asset_id}/signals/{signal}/history",
    response_model=HistoryPublic,
    responses=documented({404: "No asset", 422: "Bad range"}),
)
def history(
    _: ViewerDep,
    session: SessionDep,
    store: StoreDep,
    asset_id: str,
    signal: str,
    start: datetime,
    end: datetime,
    step_s: Annotated[int | None, Query(ge=1, le=31 * 86400)] = None,
    aggregate: Literal["mean", "min", "max", "last"] = "mean",
) -> HistoryPublic:
    """A signal's values in ``[start, end)``: raw, or downsampled to one point per ``step_s``."""
    start, end = _aware(start), _aware(end)
    if end <= start:
        raise Rejected(422, "empty_period", "end must be after start")
    if step_s is None and end - start > MAX_RAW_SPAN:
        raise Rejected(
            422, "span_too_long", "raw history spans at most 31 days; set step_s to downsample"
        )
    if step_s is not None and (end - start).total_seconds() / step_s > MAX_POINTS:
        raise Rejected(
            422, "too_many_points", f"more than {MAX_POINTS} points; use a larger step_s"
        )
    samples = store.window([_tags(session, asset_id)], [signal], start, end, step_s, aggregate)
    return HistoryPublic(
        asset=asset_id,
        signal=signal,
        step_s=step_s,
        aggregate=aggregate,
        points=[PointPublic(ts=s.ts, value=s.value, quality=s.quality) for s in samples],
    )
