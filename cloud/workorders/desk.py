"""What the dispatcher's desk and the technician's arrival add to the order records: a
scanned label checked against the order's equipment, duplicate reports merged."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cloud.errors import Invalid
from cloud.tables import Asset, WorkOrderRow, WorkOrderStep
from cloud.workorders import lifecycle as lc
from cloud.workorders.order_records import as_order, get, write_step


def check_label(session: Session, row: WorkOrderRow, label: str) -> None:
    """Refuse arrival by a scanned or typed label that is not the order's asset's."""
    code = label.strip()
    if code.startswith(("http://", "https://")):
        code = code.rstrip("/").rsplit("/", 1)[-1]  # a label's QR code holds the asset's page
    if code.lower() != row.asset_id.lower():
        other = session.get(Asset, code)
        whose = f"asset {other.id}'s" if other is not None else "no asset's"
        raise Invalid(f"label {code} is {whose}, not {row.asset_id}'s", "wrong_asset")


def merge(session: Session, keep_id: int, dup_id: int, by: str, now: datetime) -> WorkOrderRow:
    """Fold a duplicate report of the same equipment into ``keep_id``: the duplicate is
    cancelled (before work starts only) and the kept order notes who reported it too."""
    keep, dup = get(session, keep_id, lock=True), get(session, dup_id, lock=True)
    if keep.id == dup.id or keep.asset_id != dup.asset_id:
        raise Invalid(
            f"order {dup.id} is not a duplicate of order {keep.id}: not the same equipment",
            "not_a_duplicate",
        )
    cancelled = lc.apply(
        as_order(dup), lc.Action.CANCEL, now, by, reason=f"duplicate of order {keep.id}"
    )
    write_step(dup, cancelled)
    note = f"merged order {dup.id} ({dup.title}), reported by {dup.reported_by}"
    keep.steps.append(
        WorkOrderStep(
            at=now, by=by, action="comment", before=keep.state, after=keep.state, note=note
        )
    )
    session.commit()
    return keep
