"""Checks on an incoming body: pure functions that either pass or refuse with exactly what is
wrong (a ``Rejected`` naming the offending items)."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import numpy as np
from pydantic import BaseModel, ValidationError

from cloud.api.errors import Rejected
from cloud.incoming import Incoming
from cloud.storage.base import SeriesTags
from cloud.tables import Asset
from kernel.contract import CONTRACT_VERSION, Batch

MAX_LISTED = 20  # offending items named in one answer
Body = TypeVar("Body", bound=BaseModel)


@dataclass(frozen=True)
class GatewayScope:
    """What one gateway may write, as of one manifest version."""

    version: int
    tags: dict[str, SeriesTags]
    signals: dict[str, frozenset[str]]
    series: frozenset[tuple[str, str]]  # every (asset, signal) pair it may write


def scope_of(version: int, assets: list[Asset]) -> GatewayScope:
    """The write scope given by a gateway's registered assets."""
    live = [a for a in assets if not a.retired]
    return GatewayScope(
        version=version,
        tags={a.id: SeriesTags(a.asset_class, a.site, a.building, a.room, a.id) for a in live},
        signals={a.id: frozenset(s.name for s in a.signals) for a in live},
        series=frozenset((a.id, s.name) for a in live for s in a.signals),
    )


class ScopeCache:
    """Gateway scopes kept in memory, reloaded when the manifest version moves on; one load
    per gateway at a time (the requests of a worker's first second would each load it)."""

    def __init__(self) -> None:
        self._scopes: dict[str, GatewayScope] = {}
        self._loading: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, gateway_id: str, version: int) -> GatewayScope | None:
        """The cached scope if it is of ``version``."""
        scope = self._scopes.get(gateway_id)
        return scope if scope is not None and scope.version == version else None

    def get_or_load(
        self, gateway_id: str, version: int, load: Callable[[], GatewayScope]
    ) -> GatewayScope:
        """The scope of ``version``, loaded by ``load`` when not cached; requests arriving
        during a load wait for it instead of loading again."""
        scope = self.get(gateway_id, version)
        if scope is not None:
            return scope
        with self._lock:
            loading = self._loading.setdefault(gateway_id, threading.Lock())
        with loading:
            scope = self.get(gateway_id, version)
            if scope is None:
                scope = load()
                with self._lock:
                    self._scopes[gateway_id] = scope
        return scope


def decompress(body: bytes, limit: int) -> bytes:
    """Gunzip ``body``, refusing anything that inflates beyond ``limit`` bytes."""
    d = zlib.decompressobj(wbits=31)
    try:
        out = d.decompress(body, limit)
    except zlib.error as exc:
        raise Rejected(400, "bad_gzip", f"body is not valid gzip: {exc}") from exc
    if d.unconsumed_tail:
        raise Rejected(413, "too_large", f"body inflates beyond {limit} bytes")
    if not d.eof:
        raise Rejected(400, "bad_gzip", "gzip body is truncated")
    return out


def validation_items(exc: ValidationError) -> tuple[str, ...]:
    """The first problems of a validation error as 'where: what' lines."""
    return tuple(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
        for e in exc.errors(include_url=False)[:MAX_LISTED]
    )


def parse_body(model: type[Body], raw: bytes) -> Body:
    """Validate a JSON body against a contract model; refuse it with the problems listed."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise Rejected(
            422,
            "malformed",
            f"{exc.error_count()} problem(s) in the {model.__name__}",
            validation_items(exc),
        ) from exc


def supported(contract_version: str) -> None:
    """Refuse a body of another major contract version."""
    if contract_version.split(".")[0] != CONTRACT_VERSION.split(".")[0]:
        raise Rejected(
            422,
            "contract_version",
            f"contract {contract_version} not supported; this is {CONTRACT_VERSION}",
        )


def parse_batch(raw: bytes) -> Batch:
    """Validate the JSON body against the data contract."""
    batch = parse_body(Batch, raw)
    supported(batch.contract_version)
    return batch


@dataclass(frozen=True)
class Admitted:
    """The readings of a batch the cloud stores, and the rows it leaves out by reason."""

    batch: Incoming
    rejected: dict[str, list[int]]

    def items(self) -> list[str]:
        """The first rows left out, as 'row N: reason'."""
        rows = sorted((row, why) for why, rs in self.rejected.items() for row in rs)
        return [f"row {row}: {why}" for row, why in rows[:MAX_LISTED]]


# When every reading of a batch is refused, the batch is, with the first reason that applies.
WHOLE_BATCH = {"asset_not_in_manifest": 403, "unknown_signal": 422, "bad_timestamp": 422}


def check_batch(
    batch: Incoming,
    gateway_id: str,
    scope: GatewayScope,
    now: datetime,
    max_age: timedelta,
    max_skew: timedelta,
    max_readings: int,
) -> Admitted:
    """Refuse another gateway's batch or one too large; leave out readings of assets or
    signals outside the manifest and impossible times, so one bad reading never costs its
    neighbours (a batch with nothing acceptable is refused whole)."""
    if batch.head.gateway_id != gateway_id:
        raise Rejected(
            403,
            "wrong_gateway",
            f"batch names gateway {batch.head.gateway_id}, the token is {gateway_id}'s",
        )
    if len(batch) > max_readings:
        raise Rejected(
            413, "too_many_readings", f"{len(batch)} readings; at most {max_readings} per batch"
        )
    series = batch.rows.series
    ts = batch.rows.ts
    late = ts < (now - max_age).timestamp() * 1000
    early = ts > (now + max_skew).timestamp() * 1000
    bad_time = late | early
    if scope.series.issuperset(series) and not bad_time.any():
        return Admitted(batch, {})  # the common case, without a pass in Python per reading
    allowed = scope.signals
    series_problem = [
        "asset_not_in_manifest"
        if a not in allowed
        else "unknown_signal"
        if s not in allowed[a]
        else None
        for a, s in series
    ]
    rejected: dict[str, list[int]] = {}
    taken = np.zeros(len(batch), dtype=np.bool_)
    for reason in ("asset_not_in_manifest", "unknown_signal"):
        of_reason = np.array([p == reason for p in series_problem], dtype=np.bool_)
        rows = of_reason[batch.rows.index] & ~taken
        if rows.any():
            rejected[reason] = np.flatnonzero(rows).tolist()
            taken |= rows
    if (bad_time & ~taken).any():
        rejected["bad_timestamp"] = np.flatnonzero(bad_time & ~taken).tolist()
        taken |= bad_time
    if taken.all():
        reason = next(r for r in WHOLE_BATCH if r in rejected)
        pairs = zip(series, series_problem, strict=True)
        bad = sorted(
            {
                a if p == "asset_not_in_manifest" else f"{a}/{s}"
                for (a, s), p in pairs
                if p == reason
            }
        )
        detail = {
            "asset_not_in_manifest": "assets not in this gateway's manifest",
            "unknown_signal": "signals not in the manifest",
            "bad_timestamp": f"readings older than {max_age.days} days or more than "
            f"{int(max_skew.total_seconds())} s in the future",
        }[reason]
        raise Rejected(WHOLE_BATCH[reason], reason, detail, tuple(bad[:MAX_LISTED]))
    return Admitted(batch.take(~taken), rejected)


def oldest(batch: Incoming) -> datetime | None:
    """The time of the batch's oldest reading (None for an empty batch)."""
    ms = batch.oldest_ms
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)
