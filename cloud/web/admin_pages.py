"""The admin's page: people, their roles, teams and passwords (as the CLI and the API)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from cloud.api.deps import SessionDep
from cloud.errors import Forbidden, Invalid
from cloud.people import sessions
from cloud.people.users import PersonRole, list_users, person, put_user
from cloud.tables import Team
from cloud.web.deps import Viewer, ViewerWeb, check_csrf, page

router = APIRouter(prefix="/app/admin", include_in_schema=False)
Text = Annotated[str, Form(max_length=254)]


def _admin(viewer: Viewer) -> None:
    if not viewer.person.has(PersonRole.ADMIN):
        raise Forbidden("people are managed by admins", "not_allowed")


def _page(
    request: Request, viewer: Viewer, session: SessionDep, error: str = "", status: int = 200
) -> Response:
    people = [(u, person(session, u)) for u in list_users(session)]
    teams = list(session.scalars(select(Team).order_by(Team.id)))
    return page(
        request,
        "admin_users.html",
        viewer,
        status,
        people=people,
        teams=teams,
        roles=list(PersonRole),
        error=error,
    )


@router.get("/users")
def users(request: Request, viewer: ViewerWeb, session: SessionDep) -> Response:
    """Everyone who may sign in, or be paged."""
    _admin(viewer)
    return _page(request, viewer, session)


@router.post("/users")
async def put(request: Request, viewer: ViewerWeb, session: SessionDep, csrf: Text) -> Response:
    """Create or change a user (roles and teams from the form's check boxes)."""
    check_csrf(viewer, csrf)
    _admin(viewer)
    form = await request.form()
    field = {
        k: str(form.get(k, "")).strip()
        for k in (
            "username",
            "name",
            "email",
            "phone",
            "language",
            "timezone",
            "password",
            "page_webhook",
            "page_topic",
            "page_apprise",
        )
    }
    try:
        if not field["username"]:
            raise Invalid("a user name is required", "no_username")
        user = put_user(
            session,
            field["username"],
            name=field["name"],
            email=field["email"],
            phone=field["phone"],
            language=field["language"] or "en",
            timezone=field["timezone"] or "UTC",
            roles=[PersonRole(str(r)) for r in form.getlist("roles")],
            teams=[str(t) for t in form.getlist("teams")],
            password=field["password"] or None,
            page_webhook=field["page_webhook"],
            page_topic=field["page_topic"],
            page_apprise=field["page_apprise"] or None,
        )
    except (Invalid, ValueError) as exc:
        session.rollback()
        text = exc.detail if isinstance(exc, Invalid) else str(exc)
        return _page(request, viewer, session, text, 422)
    if field["password"]:
        sessions.close_sessions_of(session, user)
    return RedirectResponse("/app/admin/users", status_code=303)
