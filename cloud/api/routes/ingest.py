"""Gateway endpoints: ingest batches and register manifests."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from cloud import batch_records, crud
from cloud.api.deps import GatewayDep, MetricsDep, ScopesDep, SessionDep, SettingsDep, StoreDep
from cloud.api.errors import AUTHENTICATED, Rejected
from cloud.api.ingest_bodies import MEDIA_TYPES, parse_ingest
from cloud.api.ingest_checks import check_batch, decompress, oldest, parse_body, scope_of
from cloud.schemas import IngestAck, ManifestAck, Problem
from cloud.storage.base import StoreUnavailable
from kernel.contract import Batch, Manifest

router = APIRouter(prefix="/api/v1", tags=["gateways"], responses=AUTHENTICATED)

REFUSALS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "description": text}
    for code, text in {
        400: "Body is not valid gzip",
        401: "Missing, unknown or revoked gateway token",
        403: "Assets outside this gateway's manifest, or another gateway's batch",
        409: "A batch id stored with other contents, or assets of another gateway",
        413: "Body or batch too large",
        415: "Unsupported Content-Encoding",
        422: "Malformed batch, unknown signals or impossible timestamps",
        503: "The store is down; retry after Retry-After seconds, keep the batch",
    }.items()
}


async def read_body(request: Request, settings: SettingsDep) -> bytes:
    """The request body, size-limited and gunzipped when sent with Content-Encoding: gzip."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > settings.max_body_bytes:
        raise Rejected(
            413, "too_large", f"body of {declared} bytes; at most {settings.max_body_bytes}"
        )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > settings.max_body_bytes:
            raise Rejected(413, "too_large", f"body over {settings.max_body_bytes} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding == "gzip":
        return decompress(body, settings.max_decompressed_bytes)
    if encoding not in ("", "identity"):
        raise Rejected(
            415,
            "bad_encoding",
            f"Content-Encoding {encoding} is not supported; send gzip or nothing",
        )
    return body


async def media_type(request: Request) -> str:
    """The body's media type, without parameters, in lower case."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


BodyDep = Annotated[bytes, Depends(read_body)]
MediaTypeDep = Annotated[str, Depends(media_type)]


def request_schema(model: type[BaseModel], packed: bool = False) -> dict[str, Any]:
    """OpenAPI for a JSON body that the route reads itself (gzip allowed), with the models
    it nests written out in place, so every reference in the document resolves; with
    ``packed``, the packed-columns encoding of the same batch as well."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    content: dict[str, Any] = {"application/json": {"schema": inline(schema)}}
    if packed:
        content[MEDIA_TYPES[1]] = {"schema": {"type": "string", "format": "binary"}}
    return {"requestBody": {"required": True, "content": content}}


@router.post(
    "/ingest",
    response_model=IngestAck,
    responses=REFUSALS,
    openapi_extra=request_schema(Batch, packed=True),
    summary="Store a batch of readings; answered once it is durable",
)
def ingest(
    gateway: GatewayDep,
    body: BodyDep,
    media: MediaTypeDep,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    scopes: ScopesDep,
) -> IngestAck:
    """Check a batch, store it, then acknowledge; a resent batch is acknowledged, not stored."""
    batch, contents = parse_ingest(media, body)
    if batch_records.check_resend(session, gateway.id, batch, contents):
        metrics.batches.labels("duplicate").inc()
        return IngestAck(batch_id=batch.head.batch_id, accepted=0, duplicate=True)
    scope = scopes.get_or_load(
        gateway.id,
        gateway.manifest_version,
        lambda: scope_of(gateway.manifest_version, crud.gateway_assets(session, gateway.id)),
    )
    admitted = check_batch(
        batch,
        gateway.id,
        scope,
        datetime.now(UTC),
        timedelta(days=settings.max_reading_age_days),
        timedelta(seconds=settings.max_clock_skew_s),
        settings.max_batch_readings,
    )
    for reason, rows in admitted.rejected.items():
        metrics.readings_rejected.labels(reason).inc(len(rows))
    stored = admitted.batch
    began = time.perf_counter()
    try:
        store.write(scope.tags, stored.rows)
    except StoreUnavailable:
        metrics.store_errors.labels("write").inc()
        raise
    metrics.write_seconds.observe(time.perf_counter() - began)
    fresh = batch_records.record_batch(
        session, gateway, batch, len(stored), oldest(stored), contents
    )
    metrics.batches.labels("stored" if fresh else "duplicate").inc()
    if fresh:
        metrics.readings.inc(len(stored))
    left_out = len(batch) - len(stored)
    return IngestAck(
        batch_id=batch.head.batch_id,
        accepted=len(stored) if fresh else 0,
        duplicate=not fresh,
        rejected=left_out if fresh else 0,
        rejected_items=admitted.items() if fresh else [],
    )


@router.put(
    "/manifest",
    response_model=ManifestAck,
    responses=REFUSALS,
    openapi_extra=request_schema(Manifest),
    summary="Register or update the gateway's assets and signals",
)
def put_manifest(gateway: GatewayDep, body: BodyDep, session: SessionDep) -> ManifestAck:
    """Make the registry match the gateway's manifest (its birth certificate)."""
    manifest = parse_body(Manifest, body)
    if manifest.gateway_id != gateway.id:
        raise Rejected(
            403,
            "wrong_gateway",
            f"manifest names gateway {manifest.gateway_id}, the token is {gateway.id}'s",
        )
    assets, signals = crud.apply_manifest(session, gateway, manifest)
    return ManifestAck(
        gateway_id=gateway.id,
        assets=assets,
        signals=signals,
        manifest_version=gateway.manifest_version,
        batch_media_types=list(MEDIA_TYPES),
    )
