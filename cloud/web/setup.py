"""Mount the screens on the app: routes, static files, and refusals as pages."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import RedirectResponse, Response

from cloud.api import errors
from cloud.errors import Forbidden, Invalid, NotFound
from cloud.web import (
    admin_pages,
    auth_pages,
    dispatch_pages,
    extras,
    kpi_pages,
    order_pages,
    register_pages,
    request_pages,
)
from cloud.web.deps import HERE, SignInNeeded, page

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def install(app: FastAPI) -> None:
    """Add the web app under /app."""
    for module in (
        auth_pages,
        order_pages,
        request_pages,
        dispatch_pages,
        kpi_pages,
        admin_pages,
        register_pages,
        extras,
    ):
        app.include_router(module.router)
    app.mount("/app/static", StaticFiles(directory=HERE / "static"), name="static")

    async def sign_in_needed(request: Request, exc: Exception) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/app/sign-in?next={quote(target)}", status_code=303)

    async def refused_page(request: Request, exc: Exception) -> Response:
        if not request.url.path.startswith("/app"):
            return await errors.refused(request, exc)
        r = errors.as_rejected(exc)
        request.app.state.metrics.rejects.labels(r.reason).inc()
        title = {403: "Not allowed", 404: "Not found"}.get(r.status, "Not accepted")
        return page(request, "message.html", None, r.status, title=title, text=r.detail)

    app.add_exception_handler(SignInNeeded, sign_in_needed)
    for kind in (Forbidden, NotFound, Invalid):
        app.add_exception_handler(kind, refused_page)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        if request.url.path.startswith("/app"):
            for k, v in SECURITY_HEADERS.items():
                response.headers.setdefault(k, v)
            response.headers.setdefault("Cache-Control", "no-store")
        return response
