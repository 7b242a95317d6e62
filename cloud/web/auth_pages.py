"""Sign in, sign out, and the single-use links messages carry."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from cloud.api.deps import ClockDep, SessionDep, SettingsDep
from cloud.errors import Forbidden, Invalid, TooMany
from cloud.people import sessions
from cloud.people.access import check_act
from cloud.people.page_channels import send_reset
from cloud.people.users import PersonRole, authenticate, check_password, person, set_password
from cloud.tables import User
from cloud.web.deps import (
    PRESIGN_COOKIE,
    SESSION_COOKIE,
    ViewerWeb,
    check_csrf,
    page,
    set_cookie,
    wall_now,
)
from cloud.workorders import lifecycle as lc
from cloud.workorders import order_records as orders

router = APIRouter(prefix="/app", include_in_schema=False)
RESET_TTL = timedelta(hours=1)
Field = Annotated[str, Form(max_length=500)]


def home_of(roles: frozenset[PersonRole]) -> str:
    """The first screen for a person's roles."""
    if roles & {PersonRole.DISPATCHER, PersonRole.ADMIN}:
        return "/app/board"
    if PersonRole.SUPERVISOR in roles:
        return "/app/board"
    if PersonRole.TECHNICIAN in roles:
        return "/app/orders"
    return "/app/requests"


def sign_in_form(
    request: Request, settings: SettingsDep, error: str = "", status: int = 200
) -> Response:
    """The sign-in page, with a fresh double-submit token."""
    token = secrets.token_urlsafe(24)
    rsp = page(
        request,
        "sign_in.html",
        None,
        status,
        presign=token,
        error=error,
        next=request.query_params.get("next", ""),
    )
    set_cookie(rsp, settings, PRESIGN_COOKIE, token, 3600)
    return rsp


@router.get("/sign-in")
def sign_in_page(request: Request, settings: SettingsDep) -> Response:
    """Ask for user name and password."""
    return sign_in_form(request, settings)


@router.post("/sign-in")
def sign_in(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
    presign: Annotated[str, Form(max_length=100)],
    next: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Check the credentials (rate-limited per user name) and open a session."""
    cookie = request.cookies.get(PRESIGN_COOKIE, "")
    if not cookie or not secrets.compare_digest(cookie.encode(), presign.encode()):
        return sign_in_form(request, settings, "Your sign-in form expired; please try again.", 403)
    try:
        user = authenticate(session, username.strip(), password, wall_now())
    except Invalid as exc:
        return sign_in_form(request, settings, exc.detail, 401)
    except TooMany as exc:
        rsp = sign_in_form(request, settings, exc.detail, 429)
        rsp.headers["Retry-After"] = str(exc.retry_after_s)
        return rsp
    secret, _ = sessions.open_session(session, user, settings.secret_key, wall_now())
    target = (
        next
        if next.startswith("/app/") and "//" not in next
        else home_of(person(session, user).roles)
    )
    rsp = RedirectResponse(target, status_code=303)
    set_cookie(rsp, settings, SESSION_COOKIE, secret, int(sessions.SESSION_TTL.total_seconds()))
    rsp.delete_cookie(PRESIGN_COOKIE, path="/app")
    return rsp


@router.post("/sign-out")
def sign_out(
    request: Request, viewer: ViewerWeb, session: SessionDep, settings: SettingsDep, csrf: Field
) -> Response:
    """End the session on the server and in the browser."""
    check_csrf(viewer, csrf)
    sessions.close_session(session, request.cookies.get(SESSION_COOKIE, ""), settings.secret_key)
    rsp = RedirectResponse("/app/sign-in", status_code=303)
    rsp.delete_cookie(SESSION_COOKIE, path="/app")
    return rsp


@router.get("")
def home(viewer: ViewerWeb) -> Response:
    """Each person's first screen."""
    return RedirectResponse(home_of(viewer.person.roles), status_code=303)


@router.get("/l/{secret}")
def link_page(
    request: Request, secret: str, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    """What a message's link would do, with one button to do it (nothing happens on GET:
    mail scanners open links)."""
    try:
        link = sessions.peek_link(session, secret, settings.secret_key, wall_now())
    except Forbidden as exc:
        return page(request, "message.html", None, 410, title="Link not usable", text=exc.detail)
    order = orders.get(session, link.order_id) if link.order_id else None
    return page(request, "link.html", None, secret=secret, order=order, action=link.action)


@router.post("/l/{secret}")
def use_link(
    request: Request, secret: str, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    """Spend the link and do its action, with the same rules as every other path."""
    now = clock.now()
    try:
        link = sessions.spend_link(session, secret, settings.secret_key, wall_now())
        user = session.get(User, link.user_id)
        if user is None or link.order_id is None or link.action != lc.Action.ACKNOWLEDGE.value:
            raise Forbidden("this link is not valid", "bad_link")
        row = orders.get(session, link.order_id, lock=True)
        check_act(session, person(session, user), row, lc.Action.ACKNOWLEDGE)
        orders.act(session, row.id, lc.Action.ACKNOWLEDGE, user.username, now)
    except (Forbidden, lc.IllegalTransition) as exc:
        session.rollback()
        text = exc.detail if isinstance(exc, Forbidden) else str(exc)
        return page(request, "message.html", None, 409, title="Not done", text=text)
    return page(
        request,
        "message.html",
        None,
        title=f"Order {row.id} acknowledged",
        text=f"Thank you, {user.name or user.username}: {row.title}.",
        link=f"/app/orders/{row.id}",
    )


@router.get("/reset")
def reset_request_page(request: Request, settings: SettingsDep) -> Response:
    """Ask for the user name whose password is forgotten."""
    return reset_form(request, settings)


def reset_form(request: Request, settings: SettingsDep, sent: bool = False) -> Response:
    """The 'forgot password' form (double-submit token like sign-in)."""
    token = secrets.token_urlsafe(24)
    rsp = page(request, "reset_request.html", None, presign=token, sent=sent)
    set_cookie(rsp, settings, PRESIGN_COOKIE, token, 3600)
    return rsp


@router.post("/reset")
async def reset_request(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=100)],
    presign: Annotated[str, Form(max_length=100)],
) -> Response:
    """E-mail a single-use reset link to the user, if they exist and have an address (the
    answer is the same either way, so the form tells nobody who has an account)."""
    cookie = request.cookies.get(PRESIGN_COOKIE, "")
    if not cookie or not secrets.compare_digest(cookie.encode(), presign.encode()):
        return reset_form(request, settings)
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is not None and user.active and user.email:
        secret = sessions.issue_link(
            session, user, "reset_password", settings.secret_key, wall_now(), None, RESET_TTL
        )
        await send_reset(settings, user, f"{settings.public_url.rstrip('/')}/app/reset/{secret}")
    return reset_form(request, settings, sent=True)


@router.get("/reset/{secret}")
def reset_page(
    request: Request, secret: str, session: SessionDep, settings: SettingsDep
) -> Response:
    """Choose a new password (nothing is spent on GET)."""
    try:
        link = sessions.peek_link(session, secret, settings.secret_key, wall_now())
        if link.action != "reset_password":
            raise Forbidden("this link is not valid", "bad_link")
    except Forbidden as exc:
        return page(request, "message.html", None, 410, title="Link not usable", text=exc.detail)
    return page(request, "reset.html", None, secret=secret, error="")


@router.post("/reset/{secret}")
def reset(
    request: Request,
    secret: str,
    session: SessionDep,
    settings: SettingsDep,
    password: Annotated[str, Form(max_length=200)],
) -> Response:
    """Spend the link, set the password, end the user's sessions."""
    try:
        check_password(password)
        link = sessions.spend_link(session, secret, settings.secret_key, wall_now())
        user = session.get(User, link.user_id)
        if user is None or link.action != "reset_password":
            raise Forbidden("this link is not valid", "bad_link")
        set_password(session, user, password)  # commits the spent link with it
        sessions.close_sessions_of(session, user)
    except Invalid as exc:
        session.rollback()
        return page(request, "reset.html", None, 422, secret=secret, error=exc.detail)
    except Forbidden as exc:
        session.rollback()
        return page(request, "message.html", None, 410, title="Link not usable", text=exc.detail)
    return page(
        request,
        "message.html",
        None,
        title="Password changed",
        text="Sign in with your new password.",
        link="/app/sign-in",
    )
