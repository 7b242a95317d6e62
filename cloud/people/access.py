"""Who sees which work orders and who may act on them: one rule for the screens and the API.

A requester sees the orders they reported; a technician their teams' orders and those
assigned to them; dispatchers, supervisors and admins every order at their sites.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from cloud.errors import Forbidden
from cloud.people.users import Person, PersonRole
from cloud.tables import Asset, WorkOrderRow
from cloud.workorders import lifecycle as lc

OVERSEERS = (PersonRole.DISPATCHER, PersonRole.SUPERVISOR, PersonRole.ADMIN)
WORK = {
    lc.Action.ACKNOWLEDGE,
    lc.Action.ARRIVE,
    lc.Action.START,
    lc.Action.HOLD,
    lc.Action.RESUME,
    lc.Action.COMPLETE,
}
DISPATCH = {lc.Action.DISPATCH, lc.Action.CANCEL, lc.Action.HOLD, lc.Action.RESUME}


def visible(person: Person) -> ColumnElement[bool]:
    """The condition on ``WorkOrderRow`` for the orders ``person`` may see."""
    terms: list[ColumnElement[bool]] = []
    if person.has(*OVERSEERS):
        if person.sites:
            at_sites = select(Asset.id).where(Asset.site.in_(sorted(person.sites)))
            terms.append(WorkOrderRow.asset_id.in_(at_sites))
        else:
            return WorkOrderRow.id.is_not(None)
    if person.has(PersonRole.TECHNICIAN):
        terms.append(WorkOrderRow.assignee == person.username)
        if person.teams:
            terms.append(WorkOrderRow.team_id.in_(sorted(person.teams)))
    if person.has(PersonRole.REQUESTER) or not person.roles:
        terms.append(WorkOrderRow.reported_by == person.username)
    return or_(*terms) if terms else false()


def _oversees(session: Session, person: Person, order: WorkOrderRow) -> bool:
    if not person.has(*OVERSEERS):
        return False
    asset = session.get(Asset, order.asset_id)
    return asset is not None and person.reaches_site(asset.site)


def _works_on(person: Person, order: WorkOrderRow) -> bool:
    return person.has(PersonRole.TECHNICIAN) and (
        order.assignee == person.username or order.team_id in person.teams
    )


def can_see(session: Session, person: Person, order: WorkOrderRow) -> bool:
    """True when ``person`` may see ``order``."""
    return (
        _oversees(session, person, order)
        or _works_on(person, order)
        or order.reported_by == person.username
    )


def check_see(session: Session, person: Person, order: WorkOrderRow) -> None:
    """Refuse an order the person may not see (as if it did not exist to them)."""
    if not can_see(session, person, order):
        raise Forbidden(f"work order {order.id} is not yours to see", "not_your_order")


def check_act(session: Session, person: Person, order: WorkOrderRow, action: lc.Action) -> None:
    """Refuse an action the person's roles, teams and sites do not allow on ``order``."""
    check_see(session, person, order)
    if action is lc.Action.RATE:
        if order.reported_by != person.username:
            raise Forbidden("only the person who reported it rates the work", "not_requester")
        return
    if action in WORK and (_works_on(person, order) or _oversees(session, person, order)):
        return
    if action in DISPATCH and _oversees(session, person, order):
        return
    raise Forbidden(f"{action}: not one of your actions on order {order.id}", "not_allowed")
