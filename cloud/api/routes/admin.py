"""Admin endpoints: gateways, their tokens, and API keys."""

from __future__ import annotations

from fastapi import APIRouter

from cloud import crud
from cloud.api.deps import AdminDep, SessionDep, SettingsDep
from cloud.api.errors import AUTHENTICATED, documented
from cloud.schemas import (
    ApiKeyCreate,
    ApiKeyIssued,
    ApiKeyPublic,
    GatewayCreate,
    GatewayPublic,
    TokenIssued,
)

router = APIRouter(prefix="/api/v1", tags=["admin"], responses=AUTHENTICATED)


@router.get("/gateways", response_model=list[GatewayPublic])
def list_gateways(_: AdminDep, session: SessionDep) -> list[GatewayPublic]:
    """Every gateway with its token prefixes."""
    return [GatewayPublic.model_validate(g) for g in crud.list_gateways(session)]


@router.post(
    "/gateways",
    response_model=GatewayPublic,
    status_code=201,
    responses=documented({409: "Exists"}),
)
def create_gateway(_: AdminDep, session: SessionDep, body: GatewayCreate) -> GatewayPublic:
    """Register a gateway."""
    crud.create_gateway(session, body.id, body.description)
    return GatewayPublic.model_validate(crud.get_gateway(session, body.id))


@router.post(
    "/gateways/{gateway_id}/tokens",
    response_model=TokenIssued,
    status_code=201,
    responses=documented({404: "No gateway"}),
)
def issue_token(
    _: AdminDep, session: SessionDep, settings: SettingsDep, gateway_id: str
) -> TokenIssued:
    """Issue a gateway token (shown once)."""
    token, secret = crud.issue_gateway_token(session, settings.secret_key, gateway_id)
    return TokenIssued(gateway_id=gateway_id, prefix=token.prefix, token=secret)


@router.delete("/gateways/{gateway_id}/tokens", responses=documented({404: "No gateway"}))
def revoke_tokens(
    _: AdminDep, session: SessionDep, gateway_id: str, prefix: str | None = None
) -> dict[str, int]:
    """Revoke a gateway's tokens (all, or those starting with ``prefix``)."""
    return {"revoked": crud.revoke_gateway_tokens(session, gateway_id, prefix)}


@router.get("/api-keys", response_model=list[ApiKeyPublic])
def list_keys(_: AdminDep, session: SessionDep) -> list[ApiKeyPublic]:
    """Every API key (prefixes only)."""
    return [ApiKeyPublic.model_validate(k) for k in crud.list_api_keys(session)]


@router.post("/api-keys", response_model=ApiKeyIssued, status_code=201)
def create_key(
    _: AdminDep, session: SessionDep, settings: SettingsDep, body: ApiKeyCreate
) -> ApiKeyIssued:
    """Create an API key (its secret is shown once)."""
    key, secret = crud.create_api_key(session, settings.secret_key, body.name, body.role)
    return ApiKeyIssued.model_validate(
        {**ApiKeyPublic.model_validate(key).model_dump(), "key": secret}
    )


@router.delete(
    "/api-keys/{key_id}", response_model=ApiKeyPublic, responses=documented({404: "No key"})
)
def revoke_key(_: AdminDep, session: SessionDep, key_id: int) -> ApiKeyPublic:
    """Revoke an API key."""
    return ApiKeyPublic.model_validate(crud.revoke_api_key(session, key_id))
