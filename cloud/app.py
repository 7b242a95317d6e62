"""The FastAPI application: wiring of settings, stores, routes and error answers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from cloud import background
from cloud.alerts.notifier import Notifier
from cloud.alerts.setup import channels_from
from cloud.api import errors
from cloud.api.ingest_checks import ScopeCache
from cloud.api.routes import (
    admin,
    alarms,
    assets,
    health,
    ingest,
    kpis,
    people,
    register,
    risk,
    warnings,
    work_orders,
)
from cloud.db import make_engine, migrate, session_factory
from cloud.metrics import CloudMetrics
from cloud.people.paging import Pager
from cloud.settings import Settings
from cloud.storage.factory import open_store
from cloud.web import setup as web

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
        pager = Pager(settings, app.state.sessions)
        app.state.notifier = Notifier(
            channels_from(settings), pager=pager.page, requester=pager.tell_requester
        )
        work = (
            background.loops(settings, app.state.sessions, app.state.store, app.state.notifier)
            if settings.background
            else []
        )
        stop = asyncio.Event()
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(background.run(work, stop))
                try:
                    yield
                finally:
                    stop.set()  # each loop finishes its pass; the group waits for them
        finally:
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

    errors.install(app, settings.retry_after_s)
    for module in (
        ingest,
        alarms,
        assets,
        register,
        warnings,
        risk,
        work_orders,
        kpis,
        people,
        admin,
        health,
    ):
        app.include_router(module.router)
    web.install(app)
    return app
