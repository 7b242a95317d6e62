"""People: users, their roles, teams and sites, and their passwords. Plain functions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import available_timezones

from pwdlib import PasswordHash
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cloud.errors import Conflict, Invalid, NotFound, TooMany
from cloud.tables import SignInFailure, Team, TeamMember, User

HASHER = PasswordHash.recommended()  # Argon2id with the library's current parameters
MIN_PASSWORD = 10
LANGUAGES = ("en", "zh")
FAILURES_ALLOWED = 5  # per user name in FAILURE_WINDOW, then sign-in waits
FAILURE_WINDOW = timedelta(minutes=15)
# Verifying against this when the user is unknown keeps the answer's time the same.
_DUMMY_HASH = HASHER.hash("plantwatch-not-a-password")


class PersonRole(StrEnum):
    """What a person does; a person may hold several."""

    REQUESTER = "requester"
    TECHNICIAN = "technician"
    DISPATCHER = "dispatcher"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


@dataclass(frozen=True)
class Person:
    """A signed-in user as the screens and rules see them."""

    id: int
    username: str
    name: str
    email: str
    language: str
    timezone: str
    roles: frozenset[PersonRole]
    teams: frozenset[str]
    sites: frozenset[str]  # empty: every site

    def has(self, *roles: PersonRole) -> bool:
        """True when the person holds any of ``roles``."""
        return bool(self.roles & set(roles))

    def reaches_site(self, site: str) -> bool:
        """True when the person's sites include ``site`` (no sites listed: all)."""
        return not self.sites or site in self.sites


def _split(text: str) -> frozenset[str]:
    return frozenset(p.strip() for p in text.split(",") if p.strip())


def person(session: Session, user: User) -> Person:
    """The value the rules work with."""
    teams = session.scalars(select(TeamMember.team_id).where(TeamMember.user_id == user.id))
    return Person(
        id=user.id,
        username=user.username,
        name=user.name or user.username,
        email=user.email,
        language=user.language,
        timezone=user.timezone,
        roles=frozenset(PersonRole(r) for r in _split(user.roles)),
        teams=frozenset(teams),
        sites=_split(user.sites),
    )


def check_password(password: str) -> None:
    """Refuse a password too short to keep a guesser out."""
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"a password needs at least {MIN_PASSWORD} characters", "weak_password")


def _check_profile(language: str, timezone: str) -> None:
    if language not in LANGUAGES:
        raise Invalid(f"language {language}: one of {', '.join(LANGUAGES)}", "bad_language")
    if timezone not in available_timezones():
        raise Invalid(f"unknown time zone {timezone}", "bad_timezone")


def put_user(
    session: Session,
    username: str,
    *,
    name: str = "",
    email: str = "",
    phone: str = "",
    language: str = "en",
    timezone: str = "UTC",
    roles: Iterable[PersonRole] = (PersonRole.REQUESTER,),
    teams: Iterable[str] = (),
    sites: Iterable[str] = (),
    password: str | None = None,
    page_webhook: str = "",
    page_topic: str = "",
    page_apprise: str | None = None,
) -> User:
    """Create a user or change one (teams replaced); a password, when given, is hashed."""
    _check_profile(language, timezone)
    teams = sorted(set(teams))
    for team in teams:
        if session.get(Team, team) is None:
            raise Invalid(f"no team {team}", "unknown_team")
    user = session.scalar(select(User).where(User.username == username)) or User(
        username=username, active=True
    )
    user.name, user.email, user.phone = name or user.name or username, email, phone
    user.language, user.timezone = language, timezone
    user.roles = ",".join(sorted({PersonRole(r).value for r in roles}))
    user.sites = ",".join(sorted(set(sites)))
    if page_webhook and not page_webhook.startswith(("http://", "https://")):
        raise Invalid("a page webhook is an http(s) URL", "bad_webhook")
    user.page_webhook, user.page_topic = page_webhook, page_topic
    if page_apprise is not None:  # None: unchanged (forms never show the URL back)
        if page_apprise and "://" not in page_apprise:
            raise Invalid("an Apprise URL looks like ntfy://host/topic", "bad_apprise")
        user.page_apprise = page_apprise
    if password is not None:
        check_password(password)
        user.password_hash = HASHER.hash(password)
    session.add(user)
    session.flush()
    session.execute(delete(TeamMember).where(TeamMember.user_id == user.id))
    session.add_all(TeamMember(user_id=user.id, team_id=t) for t in teams)
    session.commit()
    return user


def get_user(session: Session, username: str) -> User:
    """One user by user name."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username}", "unknown_user")
    return user


def list_users(session: Session) -> list[User]:
    """Every user, by user name."""
    return list(session.scalars(select(User).order_by(User.username)))


def set_password(session: Session, user: User, password: str) -> None:
    """Replace a user's password."""
    check_password(password)
    user.password_hash = HASHER.hash(password)
    session.commit()


def team_members(session: Session, team_id: str) -> list[User]:
    """The users of a team."""
    return list(
        session.scalars(
            select(User)
            .join(TeamMember, TeamMember.user_id == User.id)
            .where(TeamMember.team_id == team_id)
        )
    )


def authenticate(session: Session, username: str, password: str, now: datetime) -> User:
    """The user these credentials name; ``Invalid`` when wrong, ``TooMany`` after repeated
    failures for this user name (the same answer whether the user exists or not)."""
    since = now - FAILURE_WINDOW
    failures = session.scalar(
        select(func.count())
        .select_from(SignInFailure)
        .where(SignInFailure.username == username, SignInFailure.at >= since)
    )
    if (failures or 0) >= FAILURES_ALLOWED:
        raise TooMany(
            "too many failed sign-ins for this user; try again later",
            int(FAILURE_WINDOW.total_seconds()),
        )
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    ok = HASHER.verify(password, stored) and user is not None and user.password_hash is not None
    if not ok or user is None:
        session.add(SignInFailure(username=username[:100], at=now))
        session.commit()
        raise Invalid("unknown user name or wrong password", "bad_credentials")
    session.execute(delete(SignInFailure).where(SignInFailure.username == username))
    session.commit()
    return user


def ensure_unique(session: Session, username: str) -> None:
    """Refuse a user name that is taken."""
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user {username} exists", "user_exists")
