"""Every refusal the API answers, in one place: an HTTP status, a reason and a detail.

Routes raise ``Rejected`` for what only HTTP knows (a body too large, a wrong role); the
domain's own errors (``cloud/errors.py``, the work-order state machine's, the store's) are
mapped here, so no route repeats a try/except to translate them. Every refusal is logged and
counted in ``plantwatch_cloud_rejects_total`` by reason.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from cloud.errors import Conflict, Invalid, NotFound
from cloud.schemas import Problem
from cloud.storage.base import StoreUnavailable
from cloud.workorders.codes import UnknownCode
from cloud.workorders.lifecycle import IllegalTransition

log = logging.getLogger("plantwatch.cloud")


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
    if isinstance(exc, IllegalTransition):
        return Rejected(409, "illegal_transition", str(exc))
    if isinstance(exc, UnknownCode):
        return Rejected(422, "unknown_code", str(exc))
    raise TypeError(f"no answer for {type(exc).__name__}")


def install(app: FastAPI, retry_after_s: int) -> None:
    """Answer every refusal as a ``Problem`` body, logged and counted."""

    async def refused(request: Request, exc: Exception) -> JSONResponse:
        r = as_rejected(exc)
        request.app.state.metrics.rejects.labels(r.reason).inc()
        log.warning("refused %s %s: %s %s", request.method, request.url.path, r.reason, r.detail)
        body = Problem(detail=r.detail, reason=r.reason, items=list(r.items))
        return JSONResponse(body.model_dump(), status_code=r.status, headers=r.headers)

    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        request.app.state.metrics.rejects.labels("store_unavailable").inc()
        log.error("time-series store unavailable: %s", exc)
        body = Problem(detail=f"time-series store unavailable: {exc}", reason="store_unavailable")
        return JSONResponse(
            body.model_dump(), status_code=503, headers={"Retry-After": str(retry_after_s)}
        )

    for kind in (Rejected, NotFound, Conflict, Invalid, IllegalTransition, UnknownCode):
        app.add_exception_handler(kind, refused)
    app.add_exception_handler(StoreUnavailable, unavailable)
