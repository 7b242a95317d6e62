"""What every page needs: the signed-in person, their CSRF token, templates, the clock."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from cloud.api.deps import SessionDep, SettingsDep
from cloud.errors import Forbidden
from cloud.people.sessions import session_user
from cloud.people.users import Person, person
from cloud.settings import Settings
from cloud.web import i18n

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
i18n.install(TEMPLATES.env)
CLOCK_VERBS = {"dispatch": "Dispatch", "acknowledge": "Acknowledge", "on site": "Arrive"}


def clock_verb(deadline: str) -> str:
    """What the next service-level deadline asks for, in the page's language."""
    return i18n.translate(CLOCK_VERBS[deadline])


TEMPLATES.env.globals["clock_verb"] = clock_verb
SESSION_COOKIE = "pw_session"
PRESIGN_COOKIE = "pw_presign"  # double-submit CSRF token for the sign-in form


def wall_now() -> datetime:
    """Sessions, links and sign-in limits run on the wall clock, not on the service clock
    that stamps work orders (which a simulation may run faster)."""
    return datetime.now(UTC)


class SignInNeeded(Exception):
    """No live session: the page answers with the sign-in form."""


@dataclass(frozen=True)
class Viewer:
    """The person looking at a page, and their session's CSRF token."""

    person: Person
    csrf: str
    zone: str = "UTC"  # the site's time zone: every time on the screens is shown in it

    def local(self, t: datetime | None) -> str:
        """A stored time in the site's time zone."""
        if t is None:
            return "-"
        aware = t if t.tzinfo else t.replace(tzinfo=UTC)
        return aware.astimezone(ZoneInfo(self.zone)).strftime("%Y-%m-%d %H:%M")


def current_viewer(request: Request, session: SessionDep, settings: SettingsDep) -> Viewer:
    """The signed-in person; ``SignInNeeded`` otherwise."""
    secret = request.cookies.get(SESSION_COOKIE)
    found = session_user(session, secret, settings.secret_key, wall_now()) if secret else None
    if found is None:
        raise SignInNeeded
    user, csrf = found
    return Viewer(person(session, user), csrf, settings.site_timezone)


ViewerWeb = Annotated[Viewer, Depends(current_viewer)]


def check_csrf(viewer: Viewer, token: str) -> None:
    """Refuse a form that does not carry the session's CSRF token."""
    if not secrets.compare_digest(token.encode(), viewer.csrf.encode()):
        raise Forbidden("the form's security token is missing or stale; reload the page", "csrf")


def set_cookie(response: Response, settings: Settings, name: str, value: str, max_age: int) -> None:
    """A cookie only the server reads, sent back only to this site's pages."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/app",
        httponly=True,
        secure=settings.web_secure_cookies,
        samesite="lax",
    )


def page(
    request: Request, name: str, viewer: Viewer | None, status: int = 200, **context: Any
) -> Response:
    """Render a template with the viewer and the common helpers, in the viewer's language
    (before sign-in, the browser's)."""
    i18n.use(
        viewer.person.language
        if viewer
        else i18n.from_header(request.headers.get("accept-language", ""))
    )
    return TEMPLATES.TemplateResponse(
        request,
        name,
        {"viewer": viewer, "me": viewer.person if viewer else None, **context},
        status_code=status,
    )
