"""Teams, the routing table and the roster in the database. Plain functions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.errors import Invalid, NotFound
from cloud.tables import RouteRow, ShiftRow, Team


def put_team(session: Session, team_id: str, name: str, lead: str, supervisor: str) -> Team:
    """Create or change a team (who leads it, who supervises)."""
    team = session.get(Team, team_id) or Team(id=team_id)
    team.name, team.lead, team.supervisor = name, lead, supervisor
    session.add(team)
    session.commit()
    return team


def known_team(session: Session, team_id: str) -> None:
    """Refuse a team id that is not registered."""
    if session.get(Team, team_id) is None:
        raise Invalid(f"no team {team_id}", "unknown_team")


def replace_routes(session: Session, routes: Sequence[tuple[str, str, str]]) -> None:
    """Replace the routing table with (asset class, fault, team) rows, first match wins."""
    for _, _, team in routes:
        known_team(session, team)
    for old in session.scalars(select(RouteRow)):
        session.delete(old)
    session.add_all(
        RouteRow(position=i, asset_class=cls, fault=fault, team_id=team)
        for i, (cls, fault, team) in enumerate(routes)
    )
    session.commit()


def add_shift(
    session: Session, technician: str, team_id: str, starts_at: datetime, ends_at: datetime
) -> ShiftRow:
    """Put a technician on duty for a team."""
    known_team(session, team_id)
    if ends_at <= starts_at:
        raise Invalid("a shift must end after it starts", "empty_shift")
    row = ShiftRow(technician=technician, team_id=team_id, starts_at=starts_at, ends_at=ends_at)
    session.add(row)
    session.commit()
    return row


def current_shifts(session: Session, now: datetime) -> list[ShiftRow]:
    """Shifts not yet over, by start."""
    q = select(ShiftRow).where(ShiftRow.ends_at > now).order_by(ShiftRow.starts_at, ShiftRow.id)
    return list(session.scalars(q))


def remove_shift(session: Session, shift_id: int) -> None:
    """Take a shift off the roster."""
    row = session.get(ShiftRow, shift_id)
    if row is None:
        raise NotFound(f"no shift {shift_id}", "unknown_shift")
    session.delete(row)
    session.commit()
