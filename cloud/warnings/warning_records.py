"""Warnings and risk runs in the database, and the work orders warnings open. Plain functions."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.errors import Conflict, NotFound
from cloud.tables import Asset, AssetClassRow, RiskStateRow, WarningRow, WorkOrderRow
from cloud.workorders import lifecycle as lc
from cloud.workorders import order_records as orders
from cloud.workorders.sla import Priority
from models.score import Assessment
from models.warning_rule import Runs, Verdict, WarningRule, advance, verdict

SCORER = "scorer"
OPEN, CLOSED = "open", "closed"


@dataclass
class Changes:
    """What one evaluation round changed, for the log and the alerts."""

    opened: list[WarningRow]
    updated: list[WarningRow]
    closed: list[WarningRow]
    orders: list[WorkOrderRow]


def _utc(t: int) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def priority_of(band: str, by_band: dict[str, str] | None = None) -> Priority:
    """The priority the asset's class gives a warning of this risk band (its catalogue
    file's ``priority_by_band``); without one, critical risk is urgent (the 1530 policy)
    and a plain warning high priority."""
    if by_band is not None and band in by_band:
        return Priority(by_band[band])
    return Priority.URGENT if band == "critical" else Priority.HIGH


def class_priorities(session: Session, asset_id: str) -> dict[str, str] | None:
    """The risk band -> priority table of an asset's class, as the registry keeps it."""
    asset = session.get(Asset, asset_id)
    row = session.get(AssetClassRow, asset.asset_class) if asset is not None else None
    return dict(row.definition["priority_by_band"]) if row is not None else None


def matching(open_modes: list[str], mode: str) -> str | None:
    """The open warning (by mode) a new assessment belongs to, so none is ever duplicated.

    One incident per asset: a mode the classifier names differently from one hour to the
    next updates the open warning rather than opening (and dispatching) a second one.
    """
    if mode in open_modes:
        return mode
    return open_modes[0] if open_modes else None


def open_warnings(session: Session, asset_ids: list[str]) -> dict[str, list[WarningRow]]:
    """Open warnings per asset."""
    out: dict[str, list[WarningRow]] = {a: [] for a in asset_ids}
    rows = session.scalars(
        select(WarningRow).where(WarningRow.state == OPEN, WarningRow.asset_id.in_(asset_ids))
    )
    for w in rows:
        out.setdefault(w.asset_id, []).append(w)
    return out


def _fill(w: WarningRow, a: Assessment, now: datetime) -> None:
    w.updated_at = now
    w.probability = a.probability
    w.peak_probability = max(w.peak_probability or 0.0, a.probability)
    w.risk_band = a.risk_band
    w.ttf_p10_h, w.ttf_p50_h, w.ttf_p90_h = (
        h if math.isfinite(h) else None for h in a.hours_to_failure
    )
    if a.contributions:
        w.contributions = json.dumps([asdict(c) for c in a.contributions])
    w.model_version = a.model_version
    if a.failure_mode:  # the newest confident naming of the mode
        w.failure_mode = a.failure_mode


def _open(session: Session, a: Assessment, now: datetime) -> tuple[WarningRow, WorkOrderRow]:
    w = WarningRow(
        asset_id=a.asset,
        failure_mode=a.failure_mode,
        state=OPEN,
        opened_at=now,
        peak_probability=0.0,
    )
    _fill(w, a, now)
    mode = a.failure_mode or "unnamed failure mode"
    lo, mid, hi = a.hours_to_failure
    when = (
        f"expected in {mid:.0f} h ({lo:.0f}-{hi:.0f} h)"
        if math.isfinite(mid)  # a class too short of failures has no time-to-failure model
        else "time to failure not known"
    )
    title = f"Predicted failure of {a.asset} ({mode}): p={a.probability:.2f}, {when}"
    order = orders.report(
        session,
        orders.Report(
            a.asset,
            "warning",
            a.failure_mode or "predicted",
            title[:200],
            priority_of(a.risk_band, class_priorities(session, a.asset)),
        ),
        SCORER,
        now,
    )
    w.work_order_id = order.id
    session.add(w)
    return w, order


def close(w: WarningRow, reason: str, now: datetime, dismissal: str | None = None) -> None:
    """Close one warning with its reason (risk_low, completed, cancelled, dismissed)."""
    w.state, w.closed_at, w.close_reason, w.dismissal = CLOSED, now, reason, dismissal


def record(
    session: Session,
    assessments: list[Assessment],
    data_until: dict[str, int],
    rule: WarningRule,
    now: datetime,
) -> Changes:
    """Advance each asset's runs and open, update or close its warnings; one transaction."""
    ids = [a.asset for a in assessments]
    states = {
        s.asset_id: s
        for s in session.scalars(select(RiskStateRow).where(RiskStateRow.asset_id.in_(ids)))
    }
    warnings = open_warnings(session, ids)
    ch = Changes([], [], [], [])
    for a in assessments:
        st = states.get(a.asset)
        until = data_until[a.asset]
        before = (
            Runs(st.high_run, st.low_run, int(orders.aware(st.data_until).timestamp()))
            if st is not None
            else Runs()
        )
        runs = advance(before, until, a.above_threshold, rule)
        if st is None:
            st = RiskStateRow(asset_id=a.asset)
            session.add(st)
        st.evaluated_at, st.data_until = now, _utc(runs.counted_until or until)
        st.probability, st.health, st.risk_band = a.probability, a.health, a.risk_band
        st.high_run, st.low_run, st.model_version = runs.high, runs.low, a.model_version
        mine = warnings.get(a.asset, [])
        key = matching([w.failure_mode for w in mine], a.failure_mode)
        match = next((w for w in mine if w.failure_mode == key), None) if key is not None else None
        has_open = match is not None if a.above_threshold else bool(mine)
        # a held incident counts as open: high evaluations open nothing, enough low ones end it
        v = verdict(runs, a.above_threshold, has_open or bool(st.held), rule)
        if st.held and v is Verdict.CLOSE:
            st.held = False
        if v is Verdict.OPEN:
            w, order = _open(session, a, now)
            ch.opened.append(w)
            ch.orders.append(order)
        elif v is Verdict.UPDATE and match is not None:
            _fill(match, a, now)
            ch.updated.append(match)
        elif v is Verdict.CLOSE:
            for w in mine:
                close(w, "risk_low", now)
                ch.closed.append(w)
    session.commit()
    return ch


def list_warnings(
    session: Session, state: str | None = None, asset: str | None = None, limit: int = 100
) -> list[WarningRow]:
    """Warnings, newest first, filtered by state or asset."""
    q = select(WarningRow).order_by(WarningRow.id.desc()).limit(limit)
    if state is not None:
        q = q.where(WarningRow.state == state)
    if asset is not None:
        q = q.where(WarningRow.asset_id == asset)
    return list(session.scalars(q))


def list_risk(
    session: Session, band: str | None = None, held: bool | None = None, limit: int = 100
) -> list[RiskStateRow]:
    """Assets' latest evaluations, the riskiest first, filtered by band or hold."""
    q = select(RiskStateRow).order_by(RiskStateRow.probability.desc()).limit(limit)
    if band is not None:
        q = q.where(RiskStateRow.risk_band == band)
    if held is not None:
        q = q.where(RiskStateRow.held == held)
    return list(session.scalars(q))


def held_incidents(
    session: Session, limit: int = 100
) -> list[tuple[RiskStateRow, WarningRow | None]]:
    """Assets whose incident a person's ruling holds, the riskiest first, each with the
    warning that ruling ended (its newest closed one; None where none is stored)."""
    states = list_risk(session, held=True, limit=limit)
    ruled: dict[str, WarningRow] = {}
    for w in session.scalars(
        select(WarningRow)
        .where(WarningRow.asset_id.in_([st.asset_id for st in states]))
        .where(WarningRow.state == CLOSED)
        .order_by(WarningRow.closed_at.desc(), WarningRow.id.desc())
    ):
        ruled.setdefault(w.asset_id, w)
    return [(st, ruled.get(st.asset_id)) for st in states]


def get_warning(session: Session, warning_id: int) -> WarningRow:
    """One warning."""
    w = session.get(WarningRow, warning_id)
    if w is None:
        raise NotFound(f"no warning {warning_id}", "unknown_warning")
    return w


def dismiss(session: Session, warning_id: int, reason: str, by: str, now: datetime) -> WarningRow:
    """A dispatcher's dismissal: the warning closes (the reason is kept as a label) and its
    work order is cancelled when no work has started on it."""
    w = get_warning(session, warning_id)
    if w.state != OPEN:
        raise Conflict(
            f"warning {warning_id} is already closed ({w.close_reason})", "already_closed"
        )
    close(w, "dismissed", now, reason)
    orders.hold_incident(session, w.asset_id)
    if w.work_order_id is not None:
        row = orders.get(session, w.work_order_id)
        if lc.State(row.state) in lc.BEFORE_WORK:
            orders.act(
                session, row.id, lc.Action.CANCEL, by, now, reason=f"warning dismissed: {reason}"
            )
    session.commit()
    return w
