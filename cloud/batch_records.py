"""The record of stored batches: what makes a resend a duplicate and a reused id a conflict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud.batch_digest import same_contents
from cloud.errors import Conflict
from cloud.incoming import Incoming
from cloud.tables import Gateway, IngestedBatch

SEEN_EVERY = timedelta(seconds=10)  # how fresh a gateway's "last seen" is kept

# Built once: every batch runs these, and building and keying a statement costs several times
# what SQLite takes to run it.
_BATCHES = IngestedBatch.__table__
_RECORDED_DIGEST = select(_BATCHES.c.digest).where(
    _BATCHES.c.gateway_id == bindparam("gateway_id"),
    _BATCHES.c.batch_id == bindparam("batch_id"),
)
_OVERLAPPING = (
    select(_BATCHES.c.batch_id)
    .where(
        _BATCHES.c.gateway_id == bindparam("gateway_id"),
        _BATCHES.c.spool_id == bindparam("spool_id"),
        _BATCHES.c.last_seq >= bindparam("first"),
        _BATCHES.c.first_seq <= bindparam("last"),
    )
    .limit(1)
)
_RECORD = insert(IngestedBatch)


def check_resend(session: Session, gateway_id: str, batch: Incoming, digest: str) -> bool:
    """True when this batch is already stored with these contents; ``Conflict`` when its id,
    or its spool's sequence numbers under another id, were stored with other contents (a
    spool restored from an old copy, a sender's bug)."""
    head, seq = batch.head, batch.seq_range
    db = session.connection()
    row = db.execute(
        _RECORDED_DIGEST, {"gateway_id": gateway_id, "batch_id": head.batch_id}
    ).first()
    if row is not None:
        if row.digest is not None and not same_contents(row.digest, digest, batch):
            raise Conflict(
                f"batch {head.batch_id} was stored with other contents; send it under a new id",
                "batch_conflict",
            )
        return True
    if head.spool_id is not None and seq is not None:
        first, last = seq
        taken = db.execute(
            _OVERLAPPING,
            {"gateway_id": gateway_id, "spool_id": head.spool_id, "first": first, "last": last},
        ).first()
        if taken is not None:
            raise Conflict(
                f"sequence numbers {first}-{last} of spool {head.spool_id} were stored in "
                f"batch {taken.batch_id}; send them under a new spool id",
                "batch_conflict",
            )
    return False


def record_batch(
    session: Session,
    gateway: Gateway,
    batch: Incoming,
    readings: int,
    oldest_at: datetime | None,
    digest: str,
) -> bool:
    """Remember a stored batch (its spool and sequence numbers, how many readings were
    stored, its oldest reading, a digest of its contents); False when a concurrent request
    recorded it first."""
    seq = batch.seq_range
    now = datetime.now(UTC)
    seen = gateway.last_seen_at
    try:
        # A plain INSERT: the row is never read back, so the ORM's bookkeeping is skipped.
        session.connection().execute(
            _RECORD,
            {
                "gateway_id": gateway.id,
                "batch_id": batch.head.batch_id,
                "readings": readings,
                "first_seq": None if seq is None else seq[0],
                "last_seq": None if seq is None else seq[1],
                "historical": batch.head.historical,
                "oldest_at": oldest_at,
                "digest": digest,
                "spool_id": batch.head.spool_id,
            },
        )
        if seen is None or (seen if seen.tzinfo else seen.replace(tzinfo=UTC)) < now - SEEN_EVERY:
            gateway.last_seen_at = now  # an UPDATE per batch would double the registry's writes
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def last_batch_id(session: Session) -> int:
    """The id of the newest stored batch (0 when none)."""
    return session.scalar(select(func.max(IngestedBatch.id))) or 0


def batches_after(session: Session, after_id: int) -> list[tuple[int, str, datetime | None]]:
    """(id, gateway, oldest reading) of the stored batches with ids above ``after_id``."""
    rows = session.execute(
        select(IngestedBatch.id, IngestedBatch.gateway_id, IngestedBatch.oldest_at)
        .where(IngestedBatch.id > after_id)
        .order_by(IngestedBatch.id)
    )
    return [(i, g, at if at is None or at.tzinfo else at.replace(tzinfo=UTC)) for i, g, at in rows]
