"""Mount the screens on the app: routes, static files, and refusals as pages."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


class ScreenHeaders:
    """Security and caching headers on the screens' responses (/app); a pure ASGI
    middleware, so the API's requests (ingest above all) pass through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/app"):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for k, v in (*SECURITY_HEADERS.items(), ("Cache-Control", "no-store")):
                    if k not in headers:
                        headers[k] = v
            await send(message)

        await self.app(scope, receive, with_headers)


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

    app.add_middleware(ScreenHeaders)
