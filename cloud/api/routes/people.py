"""Users, managed by admins (the same functions as the CLI and the admin page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy.orm import Session

from cloud.api.deps import AdminDep, SessionDep
from cloud.api.errors import AUTHENTICATED, documented
from cloud.people import sessions
from cloud.people.users import list_users, person, put_user
from cloud.schemas.people import UserPublic, UserPut
from cloud.tables import User

router = APIRouter(prefix="/api/v1/users", tags=["people"], responses=AUTHENTICATED)
Username = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.@-]+$")]


def public(session: Session, user: User) -> UserPublic:
    """What the API shows of a user."""
    p = person(session, user)
    return UserPublic(
        username=user.username,
        name=user.name,
        email=user.email,
        phone=user.phone,
        language=user.language,
        timezone=user.timezone,
        roles=sorted(p.roles),
        teams=sorted(p.teams),
        sites=sorted(p.sites),
        page_webhook=user.page_webhook,
        page_topic=user.page_topic,
        page_apprise_set=bool(user.page_apprise),
        can_sign_in=bool(user.password_hash) and user.active,
    )


@router.get("", response_model=list[UserPublic])
def users(_: AdminDep, session: SessionDep) -> list[UserPublic]:
    """Every user."""
    return [public(session, u) for u in list_users(session)]


@router.put(
    "/{username}",
    response_model=UserPublic,
    responses=documented({422: "Unknown team, language or time zone; weak password"}),
)
def put(username: Username, body: UserPut, _: AdminDep, session: SessionDep) -> UserPublic:
    """Create or change a user; a new password ends their sessions."""
    user = put_user(session, username, **body.model_dump())
    if body.password is not None:
        sessions.close_sessions_of(session, user)
    return public(session, user)
