"""What happened, in the generic format the models train on: stored telemetry, and events
from the work the technicians did.

- telemetry: every asset's signals as the store holds them, one mean per step;
- failures: completed corrective orders (reported by a person, an alarm or the API), at
  their report time, the failure code's problem as the mode; their completion is the
  repair (a maintenance event), which ends the failure for the labels;
- failures found in time: predicted orders whose technician confirmed the fault, at the
  time they arrived, the warning's failure mode as the mode (the fault was real; the repair
  only kept it from ending in a breakdown), repaired at the order's completion;
- maintenance: completed preventive orders, at completion;
- verdicts and dismissals, kept for the record (``verdict`` with mode confirmed,
  false_alarm or nothing_found; ``dismissal`` with the reason as its detail): the models
  read the failures; a false alarm needs no event, its windows are negatives already.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.storage.base import SeriesTags, TimeSeriesStore
from cloud.tables import Asset, WarningRow, WorkOrderRow
from cloud.workorders import lifecycle as lc
from cloud.workorders.order_records import aware

CORRECTIVE = ("request", "alarm", "manual")
DONE = (lc.State.COMPLETED.value, lc.State.CLOSED.value)
TELEMETRY = pa.schema(
    [
        ("asset", pa.dictionary(pa.int32(), pa.string())),
        ("signal", pa.dictionary(pa.int32(), pa.string())),
        ("ts", pa.timestamp("s", tz="UTC")),
        ("value", pa.float64()),
    ]
)
EVENTS = pa.schema(
    [
        ("asset", pa.string()),
        ("kind", pa.string()),
        ("mode", pa.string()),
        ("ts", pa.timestamp("s", tz="UTC")),
        ("detail", pa.string()),
    ]
)
ASSETS = pa.schema([("asset", pa.string()), ("asset_class", pa.string())])


@dataclass(frozen=True)
class Exported:
    """What an export wrote."""

    folder: Path
    readings: int
    events: dict[str, int]  # kind -> count
    assets: int


def _first_step(order: WorkOrderRow, action: str) -> datetime | None:
    found = [s.at for s in order.steps if s.action == action]
    return aware(min(found)) if found else None


def event_rows(session: Session, since: datetime, until: datetime) -> list[dict[str, object]]:
    """The failure, maintenance, verdict and dismissal events in ``[since, until)``."""
    out: list[dict[str, object]] = []
    orders = session.scalars(
        select(WorkOrderRow)
        .where(
            WorkOrderRow.reported_at >= since,
            WorkOrderRow.reported_at < until,
            WorkOrderRow.state.in_(DONE),
        )
        .order_by(WorkOrderRow.id)
    )
    for o in orders:
        done_at = _first_step(o, lc.Action.COMPLETE.value) or aware(o.reported_at)
        if o.source in CORRECTIVE:
            mode = o.problem or o.fault
            out.append(_event(o.asset_id, "failure", mode, aware(o.reported_at), f"order {o.id}"))
            out.append(_event(o.asset_id, "maintenance", mode, done_at, f"repair, order {o.id}"))
        elif o.source == "warning" and o.outcome == lc.Outcome.CONFIRMED.value:
            out.append(_event(o.asset_id, "maintenance", o.fault, done_at, f"repair, order {o.id}"))
        elif o.source == "preventive":
            out.append(_event(o.asset_id, "maintenance", o.pm_rule or "", done_at, f"order {o.id}"))
    warnings = session.scalars(
        select(WarningRow)
        .where(WarningRow.opened_at >= since, WarningRow.opened_at < until)
        .order_by(WarningRow.id)
    )
    for w in warnings:
        order = session.get(WorkOrderRow, w.work_order_id) if w.work_order_id else None
        if w.verdict and order is not None:
            at = _first_step(order, lc.Action.ARRIVE.value) or aware(order.reported_at)
            out.append(_event(w.asset_id, "verdict", w.verdict, at, f"warning {w.id}"))
            if w.verdict == lc.Outcome.CONFIRMED.value:
                out.append(_event(w.asset_id, "failure", w.failure_mode, at, f"warning {w.id}"))
        if w.dismissal:
            at = aware(w.closed_at or w.updated_at)
            out.append(_event(w.asset_id, "dismissal", w.failure_mode, at, w.dismissal))
    return [e for e in out if since <= e["ts"] < until]  # type: ignore[operator]


def _event(asset: str, kind: str, mode: str, at: datetime, detail: str) -> dict[str, object]:
    return {"asset": asset, "kind": kind, "mode": mode, "ts": at, "detail": detail}


def _chunks(start: datetime, end: datetime, days: int) -> Iterator[tuple[datetime, datetime]]:
    at = start
    while at < end:
        nxt = min(end, at + timedelta(days=days))
        yield at, nxt
        at = nxt


def export_history(
    session: Session,
    store: TimeSeriesStore,
    out: Path,
    since: datetime,
    until: datetime,
    step_s: int = 600,
) -> Exported:
    """Write telemetry, events and the asset list since ``since`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    assets = list(session.scalars(select(Asset).where(Asset.retired.is_(False)).order_by(Asset.id)))
    readings = 0
    with pq.ParquetWriter(out / "telemetry.parquet", TELEMETRY, compression="zstd") as writer:
        for a in assets:
            tags = [SeriesTags(a.asset_class, a.site, a.building, a.room, a.id)]
            for start, end in _chunks(since, until, 30):  # bounded memory per read
                cols = store.window_columns(tags, start, end, step_s, "mean")
                keep = np.isfinite(cols.value)
                if not keep.any():
                    continue
                names = [s for _, s in cols.series]
                table = pa.table(
                    {
                        "asset": pa.array([a.id] * int(keep.sum())),
                        "signal": pa.array([names[i] for i in cols.index[keep]]),
                        "ts": pa.array(cols.ts_ms[keep] // 1000, pa.int64()).cast(
                            pa.timestamp("s", tz="UTC")
                        ),
                        "value": pa.array(cols.value[keep]),
                    }
                )
                writer.write_table(table.cast(TELEMETRY))
                readings += table.num_rows
    rows = event_rows(session, since, until)
    pq.write_table(pa.Table.from_pylist(rows, schema=EVENTS), out / "events.parquet")
    listed = [{"asset": a.id, "asset_class": a.asset_class} for a in assets]
    pq.write_table(pa.Table.from_pylist(listed, schema=ASSETS), out / "assets.parquet")
    kinds: dict[str, int] = {}
    for r in rows:
        kinds[str(r["kind"])] = kinds.get(str(r["kind"]), 0) + 1
    return Exported(out, readings, kinds, len(assets))


def since_days(days: float, now: datetime | None = None) -> datetime:
    """The instant ``days`` before now."""
    return (now or datetime.now(UTC)) - timedelta(days=days)
