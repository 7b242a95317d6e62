"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from cloud import crud
from cloud.api.deps import MetricsDep, SessionDep, StoreDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "A store is unreachable"}})
def readyz(session: SessionDep, store: StoreDep, response: Response) -> dict[str, str]:
    """Both stores answer."""
    status = {"database": "ok", "timeseries": "ok"}
    problem = crud.database_problem(session)
    if problem:
        status["database"] = f"error: {problem}"
    if not store.ping():
        status["timeseries"] = "unreachable"
    if any(v != "ok" for v in status.values()):
        response.status_code = 503
    return status


@router.get("/metrics", response_class=Response)
def metrics(m: MetricsDep) -> Response:
    """Prometheus exposition."""
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)
