"""Server-side sign-in sessions and single-use action links. Plain functions.

A browser holds a random secret in a cookie; the database holds only its keyed hash, the
user, a CSRF token for the session's forms and an expiry. An action link in a message
(acknowledge this order, reset your password) is a random secret too, stored hashed, with
an expiry, and spent on first use.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cloud.errors import Forbidden
from cloud.security import hash_secret
from cloud.tables import ActionLink, User, WebSession
from cloud.workorders.order_records import aware

SESSION_TTL = timedelta(hours=12)
LINK_TTL = timedelta(hours=1)


def open_session(session: Session, user: User, pepper: str, now: datetime) -> tuple[str, str]:
    """Sign ``user`` in: (the cookie's secret, the session's CSRF token)."""
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=hash_secret(secret, pepper),
            user_id=user.id,
            csrf=csrf,
            created_at=now,
            expires_at=now + SESSION_TTL,
        )
    )
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.commit()
    return secret, csrf


def session_user(
    session: Session, secret: str, pepper: str, now: datetime
) -> tuple[User, str] | None:
    """(user, CSRF token) of a live session, or None."""
    row = session.get(WebSession, hash_secret(secret, pepper))
    if row is None or aware(row.expires_at) <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return user, row.csrf


def close_session(session: Session, secret: str, pepper: str) -> None:
    """Sign out: the session ends on the server, whatever the browser keeps."""
    session.execute(delete(WebSession).where(WebSession.token_hash == hash_secret(secret, pepper)))
    session.commit()


def close_sessions_of(session: Session, user: User) -> None:
    """End every session of a user (a password change, a deactivation)."""
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.commit()


def issue_link(
    session: Session,
    user: User,
    action: str,
    pepper: str,
    now: datetime,
    order_id: int | None = None,
    ttl: timedelta = LINK_TTL,
) -> str:
    """A single-use secret for ``action`` (on ``order_id``) by ``user``, valid for ``ttl``."""
    secret = secrets.token_urlsafe(32)
    session.add(
        ActionLink(
            token_hash=hash_secret(secret, pepper),
            user_id=user.id,
            action=action,
            order_id=order_id,
            expires_at=now + ttl,
        )
    )
    session.commit()
    return secret


def peek_link(session: Session, secret: str, pepper: str, now: datetime) -> ActionLink:
    """The link a secret opens, if it is still usable (nothing is spent)."""
    link = session.get(ActionLink, hash_secret(secret, pepper))
    if link is None:
        raise Forbidden("this link is not valid", "bad_link")
    if link.used_at is not None:
        raise Forbidden("this link was used already", "link_used")
    if aware(link.expires_at) <= now:
        raise Forbidden("this link has expired", "link_expired")
    return link


def spend_link(session: Session, secret: str, pepper: str, now: datetime) -> ActionLink:
    """Use a link once: later uses are refused. The caller commits with its action."""
    link = peek_link(session, secret, pepper, now)
    stmt = select(ActionLink).where(
        ActionLink.token_hash == link.token_hash, ActionLink.used_at.is_(None)
    )
    locked = session.scalars(stmt.with_for_update()).first()
    if locked is None:
        raise Forbidden("this link was used already", "link_used")
    locked.used_at = now
    return locked
