"""Plain functions over the relational tables; routes and the CLI call these."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session, selectinload

from cloud.conflicts import look_again_on_conflict
from cloud.errors import Conflict, NotFound
from cloud.register.classes import check_classes
from cloud.schemas import AssetUpdate
from cloud.security import (
    API_KEY_PREFIX,
    GATEWAY_TOKEN_PREFIX,
    Role,
    display_prefix,
    hash_secret,
    new_secret,
)
from cloud.tables import (
    AlarmEventRow,
    ApiKey,
    Asset,
    Gateway,
    GatewayToken,
    Signal,
)
from kernel.contract import AlarmEvent, Manifest


def database_problem(session: Session) -> str | None:
    """None when the database answers, else the kind of error it gave."""
    try:
        session.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means not ready; its kind is the answer
        return type(exc).__name__
    return None


def create_gateway(session: Session, gateway_id: str, description: str = "") -> Gateway:
    """Register a gateway."""
    if session.get(Gateway, gateway_id) is not None:
        raise Conflict(f"gateway {gateway_id} exists", "gateway_exists")
    gw = Gateway(id=gateway_id, description=description)
    session.add(gw)
    session.commit()
    return gw


def get_gateway(session: Session, gateway_id: str) -> Gateway:
    """A gateway with its tokens."""
    gw = session.scalar(
        select(Gateway).where(Gateway.id == gateway_id).options(selectinload(Gateway.tokens))
    )
    if gw is None:
        raise NotFound(f"no gateway {gateway_id}", "unknown_gateway")
    return gw


def list_gateways(session: Session) -> list[Gateway]:
    """Every gateway with its tokens."""
    return list(
        session.scalars(select(Gateway).options(selectinload(Gateway.tokens)).order_by(Gateway.id))
    )


def issue_gateway_token(session: Session, pepper: str, gateway_id: str) -> tuple[GatewayToken, str]:
    """A new token for a gateway; the secret is returned once and stored hashed."""
    get_gateway(session, gateway_id)
    secret = new_secret(GATEWAY_TOKEN_PREFIX)
    token = GatewayToken(
        gateway_id=gateway_id, token_hash=hash_secret(secret, pepper), prefix=display_prefix(secret)
    )
    session.add(token)
    session.commit()
    return token, secret


def revoke_gateway_tokens(session: Session, gateway_id: str, prefix: str | None = None) -> int:
    """Revoke a gateway's tokens (all, or those starting with ``prefix``); returns how many."""
    now = datetime.now(UTC)
    count = 0
    for token in get_gateway(session, gateway_id).tokens:
        if token.revoked_at is None and (prefix is None or token.prefix.startswith(prefix)):
            token.revoked_at = now
            count += 1
    session.commit()
    return count


# Built once: every batch a gateway sends is authorised by it.
_GATEWAY_OF_TOKEN = (
    select(Gateway)
    .join(GatewayToken, GatewayToken.gateway_id == Gateway.id)
    .where(GatewayToken.token_hash == bindparam("token_hash"), GatewayToken.revoked_at.is_(None))
)


def gateway_for_token(session: Session, pepper: str, secret: str) -> Gateway | None:
    """The gateway a valid, unrevoked token belongs to."""
    return session.scalar(_GATEWAY_OF_TOKEN, {"token_hash": hash_secret(secret, pepper)})


def create_api_key(session: Session, pepper: str, name: str, role: Role) -> tuple[ApiKey, str]:
    """A new API key; the secret is returned once and stored hashed."""
    secret = new_secret(API_KEY_PREFIX)
    key = ApiKey(
        name=name,
        role=role.value,
        key_hash=hash_secret(secret, pepper),
        prefix=display_prefix(secret),
    )
    session.add(key)
    session.commit()
    return key, secret


def list_api_keys(session: Session) -> list[ApiKey]:
    """Every API key."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_api_key(session: Session, key_id: int) -> ApiKey:
    """Revoke an API key."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"no API key {key_id}", "unknown_api_key")
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
        session.commit()
    return key


def api_key_for_secret(session: Session, pepper: str, secret: str) -> ApiKey | None:
    """The valid, unrevoked API key with this secret."""
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_secret(secret, pepper)))
    return key if key is not None and key.revoked_at is None else None


def apply_manifest(session: Session, gateway: Gateway, manifest: Manifest) -> tuple[int, int]:
    """Register or update the gateway's assets and signals; returns (assets, signals). Two
    at once (a killed gateway's request still with the cloud, its successor's) both apply."""
    return look_again_on_conflict(session, _apply_manifest, session, gateway, manifest)


def _apply_manifest(session: Session, gateway: Gateway, manifest: Manifest) -> tuple[int, int]:
    ids = [a.id for a in manifest.assets]
    existing = {
        a.id: a
        for a in session.scalars(
            select(Asset).where(Asset.id.in_(ids)).options(selectinload(Asset.signals))
        )
    }
    taken = sorted(i for i, a in existing.items() if a.gateway_id not in (None, gateway.id))
    if taken:
        raise Conflict(f"assets registered to another gateway: {', '.join(taken)}", "assets_taken")
    check_classes(session, {a.asset_class for a in manifest.assets})
    check_against_register(existing, manifest)
    now = datetime.now(UTC)
    n_signals = 0
    for info in manifest.assets:
        asset = existing.get(info.id)
        if asset is None:
            asset = Asset(id=info.id, gateway_id=gateway.id, registered_by="manifest")
            session.add(asset)
        asset.gateway_id = gateway.id  # links a registered-only asset to its gateway
        asset.site, asset.building, asset.room = info.site, info.building, info.room
        asset.asset_class, asset.model = info.asset_class, info.model
        asset.install_date, asset.updated_at = info.install_date, now
        asset.signals = [
            Signal(asset_id=info.id, name=s.name, unit=s.unit, min=s.min, max=s.max)
            for s in info.signals
        ]
        n_signals += len(info.signals)
    gateway.manifest_version = Gateway.manifest_version + 1  # in SQL: two at once count two
    gateway.manifest_at = now
    session.commit()
    return len(manifest.assets), n_signals


_REGISTER_FIELDS = ("site", "building", "room", "asset_class", "model", "install_date")


def check_against_register(existing: dict[str, Asset], manifest: Manifest) -> None:
    """Refuse a manifest that contradicts the register (409 ``manifest_conflict``), naming
    every differing field; assets a manifest registered itself follow their gateway."""
    problems = []
    for info in manifest.assets:
        asset = existing.get(info.id)
        if asset is None or asset.registered_by != "register":
            continue
        for field in _REGISTER_FIELDS:
            mine, theirs = getattr(asset, field), getattr(info, field)
            if mine != theirs:
                problems.append(f"{info.id}.{field}: register {mine}, manifest {theirs}")
    if problems:
        raise Conflict(
            "manifest contradicts the register: " + "; ".join(problems), "manifest_conflict"
        )


def gateway_assets(session: Session, gateway_id: str) -> list[Asset]:
    """The assets a gateway may write, with their signals."""
    return list(
        session.scalars(
            select(Asset).where(Asset.gateway_id == gateway_id).options(selectinload(Asset.signals))
        )
    )


def list_assets(
    session: Session,
    site: str | None = None,
    asset_class: str | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[Asset]:
    """Assets, optionally of one site and/or class."""
    q = select(Asset).options(selectinload(Asset.signals)).order_by(Asset.id)
    if site is not None:
        q = q.where(Asset.site == site)
    if asset_class is not None:
        q = q.where(Asset.asset_class == asset_class)
    return list(session.scalars(q.limit(limit).offset(offset)))


def get_asset(session: Session, asset_id: str) -> Asset:
    """One asset with its signals."""
    asset = session.scalar(
        select(Asset).where(Asset.id == asset_id).options(selectinload(Asset.signals))
    )
    if asset is None:
        raise NotFound(f"no asset {asset_id}", "unknown_asset")
    return asset


def update_asset(session: Session, asset: Asset, change: AssetUpdate) -> Asset:
    """Apply a person's change to an asset."""
    for field, value in change.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(asset, field, value)
    asset.updated_at = datetime.now(UTC)
    session.commit()
    return asset


def record_alarm_events(
    session: Session, gateway: Gateway, events: list[AlarmEvent]
) -> list[AlarmEventRow]:
    """Store alarm events not seen before; returns the new ones. A concurrent resend of the
    same events (a gateway killed mid-request sends them again) stores them once."""
    return look_again_on_conflict(session, _store_unseen_alarms, session, gateway, events)


def _store_unseen_alarms(
    session: Session, gateway: Gateway, events: list[AlarmEvent]
) -> list[AlarmEventRow]:
    ids = [e.event_id for e in events]
    seen = set(
        session.scalars(
            select(AlarmEventRow.event_id).where(
                AlarmEventRow.gateway_id == gateway.id, AlarmEventRow.event_id.in_(ids)
            )
        )
    )
    fresh = [e for e in dict((e.event_id, e) for e in events).values() if e.event_id not in seen]
    rows = [
        AlarmEventRow(
            gateway_id=gateway.id,
            event_id=e.event_id,
            rule=e.rule,
            asset_id=e.asset,
            signal=e.signal,
            state=e.state,
            severity=e.severity,
            ts=datetime.fromtimestamp(e.ts_ms / 1000, UTC),
            value=e.value,
            threshold=e.threshold,
            message=e.message,
        )
        for e in fresh
    ]
    session.add_all(rows)
    gateway.last_seen_at = datetime.now(UTC)
    session.commit()
    return rows


def list_alarm_events(
    session: Session, asset_id: str | None = None, limit: int = 100
) -> list[AlarmEventRow]:
    """Newest alarm events first."""
    q = select(AlarmEventRow).order_by(AlarmEventRow.ts.desc(), AlarmEventRow.id.desc())
    if asset_id is not None:
        q = q.where(AlarmEventRow.asset_id == asset_id)
    return list(session.scalars(q.limit(limit)))
