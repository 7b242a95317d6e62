"""Every refusal the API answers, in one place: an HTTP status, a reason and a detail.

Routes raise ``Rejected`` for what only HTTP knows (a body too large, a wrong role); the
domain's own errors (``cloud/errors.py``, the work-order state machine's, the store's) are
mapped here, so no route repeats a try/except to translate them. Every refusal is logged and
counted in ``plantwatch_ingest_rejects_total`` by reason, server errors included.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from cloud.errors import Conflict, Forbidden, Invalid, NotFound, TooMany
from cloud.schemas import Problem
from cloud.storage.base import StoreUnavailable
from cloud.workorders.codes import UnknownCode
from cloud.workorders.lifecycle import IllegalTransition

MAX_LISTED = 20
log = logging.getLogger("plantwatch.cloud")


def documented(codes: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for refusals, each answered with a ``Problem`` body."""
    return {code: {"model": Problem, "description": text} for code, text in codes.items()}


# Every route behind a credential can answer these; routers declare them once.
AUTHENTICATED = documented(
    {
        400: "The body cannot be read (not JSON, not valid gzip)",
        401: "Missing, unknown or revoked credentials",
        403: "The credentials' role may not do this",
        422: "Malformed request: the problems are listed in items",
    }
)


class Rejected(Exception):
    """A request refused with an HTTP status, a reason (metrics label) and offending items."""

    def __init__(
        self,
        status: int,
        reason: str,
        detail: str,
        items: tuple[str, ...] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {reason}: {detail}")
        self.status, self.reason, self.detail, self.items = status, reason, detail, items
        self.headers = headers


def as_rejected(exc: Exception) -> Rejected:
    """The answer a domain error gets."""
    if isinstance(exc, Rejected):
        return exc
    if isinstance(exc, NotFound):
        return Rejected(404, exc.reason, exc.detail)
    if isinstance(exc, Conflict):
        return Rejected(409, exc.reason, exc.detail)
    if isinstance(exc, Invalid):
        return Rejected(422, exc.reason, exc.detail)
    if isinstance(exc, Forbidden):
        return Rejected(403, exc.reason, exc.detail)
    if isinstance(exc, TooMany):
        return Rejected(
            429, exc.reason, exc.detail, headers={"Retry-After": str(exc.retry_after_s)}
        )
    if isinstance(exc, IllegalTransition):
        return Rejected(409, "illegal_transition", str(exc))
    if isinstance(exc, UnknownCode):
        return Rejected(422, "unknown_code", str(exc))
    raise TypeError(f"no answer for {type(exc).__name__}")


async def refused(request: Request, exc: Exception) -> JSONResponse:
    """A refusal as a ``Problem`` body, logged and counted."""
    r = as_rejected(exc)
    request.app.state.metrics.rejects.labels(r.reason).inc()
    log.warning("refused %s %s: %s %s", request.method, request.url.path, r.reason, r.detail)
    body = Problem(detail=r.detail, reason=r.reason, items=list(r.items))
    return JSONResponse(body.model_dump(), status_code=r.status, headers=r.headers)


def install(app: FastAPI, retry_after_s: int) -> None:
    """Answer every refusal as a ``Problem`` body, logged and counted."""

    async def malformed(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        items = [
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:MAX_LISTED]
        ]
        return await refused(
            request, Rejected(422, "malformed", f"{len(exc.errors())} problem(s)", tuple(items))
        )

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)  # raised by the framework: unreadable body...
        reason = {400: "bad_request", 404: "no_route", 405: "method_not_allowed"}
        r = Rejected(exc.status_code, reason.get(exc.status_code, "refused"), str(exc.detail))
        return await refused(request, r)

    async def internal(request: Request, exc: Exception) -> JSONResponse:
        request.app.state.metrics.rejects.labels("internal_error").inc()
        log.error("failed %s %s", request.method, request.url.path, exc_info=exc)
        body = Problem(detail="internal error (logged by the service)", reason="internal_error")
        return JSONResponse(body.model_dump(), status_code=500)

    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        request.app.state.metrics.rejects.labels("store_unavailable").inc()
        log.error("time-series store unavailable: %s", exc)
        body = Problem(detail=f"time-series store unavailable: {exc}", reason="store_unavailable")
        return JSONResponse(
            body.model_dump(), status_code=503, headers={"Retry-After": str(retry_after_s)}
        )

    for kind in (
        Rejected,
        NotFound,
        Conflict,
        Invalid,
        Forbidden,
        TooMany,
        IllegalTransition,
        UnknownCode,
    ):
        app.add_exception_handler(kind, refused)
    app.add_exception_handler(StoreUnavailable, unavailable)
    app.add_exception_handler(RequestValidationError, malformed)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, internal)
