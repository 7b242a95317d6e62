"""Named dependencies: settings, sessions, the store, and who is calling.

The ones that only hand out app state are ``async def`` so FastAPI runs them on the event
loop instead of a threadpool hop each; the ones that query the database stay sync.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from cloud import crud
from cloud.alerts.notifier import Notifier
from cloud.api.errors import Rejected
from cloud.api.ingest_checks import ScopeCache
from cloud.clock import Clock
from cloud.metrics import CloudMetrics
from cloud.security import API_KEY_PREFIX, GATEWAY_TOKEN_PREFIX, Role
from cloud.settings import Settings
from cloud.storage.base import TimeSeriesStore
from cloud.tables import ApiKey, Gateway

bearer = HTTPBearer(auto_error=False, description="Gateway token (pwg_...) or API key (pwk_...)")


async def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A database session for one request (opening it does no I/O: it connects on first use)."""
    with request.app.state.sessions() as session:
        yield session


async def get_store(request: Request) -> TimeSeriesStore:
    """The time-series store."""
    store: TimeSeriesStore = request.app.state.store
    return store


async def get_notifier(request: Request) -> Notifier:
    """The alert notifier the app shares."""
    notifier: Notifier = request.app.state.notifier
    return notifier


async def get_clock(request: Request) -> Clock:
    """The clock work orders and warnings are stamped with."""
    settings: Settings = request.app.state.settings
    return settings.clock


async def get_metrics(request: Request) -> CloudMetrics:
    """The app's metrics."""
    metrics: CloudMetrics = request.app.state.metrics
    return metrics


async def get_scopes(request: Request) -> ScopeCache:
    """Cached gateway write scopes."""
    scopes: ScopeCache = request.app.state.scopes
    return scopes


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
StoreDep = Annotated[TimeSeriesStore, Depends(get_store)]
MetricsDep = Annotated[CloudMetrics, Depends(get_metrics)]
NotifierDep = Annotated[Notifier, Depends(get_notifier)]
ClockDep = Annotated[Clock, Depends(get_clock)]
ScopesDep = Annotated[ScopeCache, Depends(get_scopes)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]

_UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


def current_gateway(session: SessionDep, settings: SettingsDep, creds: Credentials) -> Gateway:
    """The gateway whose token authorises this request."""
    if creds is None or not creds.credentials.startswith(GATEWAY_TOKEN_PREFIX):
        raise Rejected(401, "unauthorized", "a gateway token is required", headers=_UNAUTHORIZED)
    gateway = crud.gateway_for_token(session, settings.secret_key, creds.credentials)
    if gateway is None:
        raise Rejected(
            401, "unauthorized", "unknown or revoked gateway token", headers=_UNAUTHORIZED
        )
    return gateway


GatewayDep = Annotated[Gateway, Depends(current_gateway)]


def require(role: Role) -> Callable[..., ApiKey]:
    """A dependency that admits API keys of ``role`` or above."""

    def check(session: SessionDep, settings: SettingsDep, creds: Credentials) -> ApiKey:
        if creds is None or not creds.credentials.startswith(API_KEY_PREFIX):
            raise Rejected(401, "unauthorized", "an API key is required", headers=_UNAUTHORIZED)
        key = crud.api_key_for_secret(session, settings.secret_key, creds.credentials)
        if key is None:
            raise Rejected(401, "unauthorized", "unknown or revoked API key", headers=_UNAUTHORIZED)
        if not Role(key.role).allows(role):
            raise Rejected(
                403, "forbidden", f"this needs the {role.value} role; the key is {key.role}"
            )
        return key

    return check


ViewerDep = Annotated[ApiKey, Depends(require(Role.VIEWER))]
TechnicianDep = Annotated[ApiKey, Depends(require(Role.TECHNICIAN))]
DispatcherDep = Annotated[ApiKey, Depends(require(Role.DISPATCHER))]
AdminDep = Annotated[ApiKey, Depends(require(Role.ADMIN))]
