"""The FastAPI application: wiring of settings, stores, routes and error answers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from cloud import background
from cloud.alerts.notifier import Notifier
from cloud.alerts.setup import channels_from
from cloud.api.routes import (
    admin,
    alarms,
    assets,
    health,
    ingest,
    kpis,
    warnings,
    work_orders,
)
from cloud.db import make_engine, migrate, session_factory
from cloud.ingest import Rejected, ScopeCache
from cloud.metrics import CloudMetrics
from cloud.schemas import Problem
from cloud.settings import Settings
from cloud.storage.base import StoreUnavailable
from cloud.storage.factory import open_store

log = logging.getLogger("plantwatch.cloud")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; stores open at startup and close at shutdown."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        migrate(settings.database_url)
        engine = make_engine(settings.database_url)
        app.state.sessions = session_factory(engine)
        app.state.store = open_store(settings)
        app.state.notifier = Notifier(channels_from(settings))
        tasks = (
            background.start(settings, app.state.sessions, app.state.store, app.state.notifier)
            if settings.background
            else []
        )
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            app.state.store.close()
            engine.dispose()

    app = FastAPI(
        title="plantwatch cloud",
        version="0.1.0",
        lifespan=lifespan,
        description="Ingest, asset registry and time series of plantwatch gateways.",
    )
    app.state.settings = settings
    app.state.metrics = CloudMetrics()
    app.state.scopes = ScopeCache()

    @app.exception_handler(Rejected)
    async def rejected(request: Request, exc: Rejected) -> JSONResponse:
        request.app.state.metrics.rejects.labels(exc.reason).inc()
        log.warning(
            "refused %s %s: %s %s", request.method, request.url.path, exc.reason, exc.detail
        )
        body = Problem(detail=exc.detail, reason=exc.reason, items=list(exc.items))
        return JSONResponse(body.model_dump(), status_code=exc.status)

    @app.exception_handler(StoreUnavailable)
    async def unavailable(request: Request, exc: StoreUnavailable) -> JSONResponse:
        log.error("time-series store unavailable: %s", exc)
        body = Problem(detail=f"time-series store unavailable: {exc}", reason="store_unavailable")
        return JSONResponse(
            body.model_dump(), status_code=503, headers={"Retry-After": str(settings.retry_after_s)}
        )

    for module in (ingest, alarms, assets, warnings, work_orders, kpis, admin, health):
        app.include_router(module.router)
    return app
