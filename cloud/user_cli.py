"""`plantwatch cloud user`: the people who sign in to the web app."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from cloud.cli import _fail, _print_json, _session, console
from cloud.errors import Invalid, NotFound
from cloud.people import sessions
from cloud.people.users import PersonRole, get_user, list_users, put_user, set_password

user_app = typer.Typer(help="People: roles, teams, passwords.", no_args_is_help=True)
ROLES = ", ".join(PersonRole)
JSON_OPTION = typer.Option(False, "--json", help="Print JSON instead of a table")


def _csv(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def _password(password_file: Path | None, stdin: bool) -> str | None:
    if password_file is not None:
        return (
            password_file.read_text().splitlines()[0]
            if password_file.exists()
            else _fail(f"{password_file}: no such file")
        )
    if stdin:
        return sys.stdin.readline().rstrip("\n")
    return None


@user_app.command("put")
def user_put(
    username: str,
    name: str = typer.Option("", "--name"),
    email: str = typer.Option("", "--email"),
    phone: str = typer.Option("", "--phone"),
    language: str = typer.Option("en", "--language", help="en or zh"),
    timezone: str = typer.Option("UTC", "--timezone", help="IANA name, e.g. Asia/Shanghai"),
    roles: str = typer.Option(
        "requester", "--roles", help="Comma-separated: " + ", ".join(PersonRole)
    ),
    teams: str = typer.Option("", "--teams", help="Comma-separated team ids"),
    sites: str = typer.Option("", "--sites", help="Comma-separated; empty: every site"),
    password_file: Path | None = typer.Option(None, "--password-file", help="First line"),
    password_stdin: bool = typer.Option(False, "--password-stdin"),
    page_webhook: str = typer.Option("", "--page-webhook", help="Alertmanager-format URL"),
    page_topic: str = typer.Option("", "--page-topic", help="MQTT topic for their pages"),
    page_apprise: str | None = typer.Option(
        None, "--page-apprise", help="Apprise URL for their pages ('' removes it)"
    ),
) -> None:
    """Create a user or change one (teams and roles replaced)."""
    _, session = _session()
    with session:
        try:
            user = put_user(
                session,
                username,
                name=name,
                email=email,
                phone=phone,
                language=language,
                timezone=timezone,
                roles=[PersonRole(r) for r in _csv(roles)],
                teams=_csv(teams),
                sites=_csv(sites),
                password=_password(password_file, password_stdin),
                page_webhook=page_webhook,
                page_topic=page_topic,
                page_apprise=page_apprise,
            )
        except (Invalid, ValueError) as exc:
            _fail(getattr(exc, "detail", str(exc)))
        console.print(f"user {user.username}: {user.roles}")


@user_app.command("passwd")
def user_passwd(
    username: str,
    password_file: Path | None = typer.Option(None, "--password-file", help="First line"),
    password_stdin: bool = typer.Option(False, "--password-stdin"),
) -> None:
    """Set a user's password (their sessions end)."""
    _, session = _session()
    with session:
        password = _password(password_file, password_stdin)
        if password is None:
            password = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
        try:
            user = get_user(session, username)
            set_password(session, user, password)
            sessions.close_sessions_of(session, user)
        except (Invalid, NotFound) as exc:
            _fail(exc.detail)
    console.print(f"password of {username} set")


@user_app.command("list")
def user_list(as_json: bool = JSON_OPTION) -> None:
    """Every user, with roles, teams' reach and whether they can sign in."""
    _, session = _session()
    with session:
        rows: list[dict[str, Any]] = [
            {
                "username": u.username,
                "name": u.name,
                "email": u.email,
                "roles": u.roles,
                "sites": u.sites,
                "can_sign_in": bool(u.password_hash) and u.active,
            }
            for u in list_users(session)
        ]
    if as_json:
        _print_json(rows)
        return
    table = Table("user", "name", "e-mail", "roles", "sites", "sign-in")
    for r in rows:
        table.add_row(
            r["username"],
            r["name"],
            r["email"],
            r["roles"],
            r["sites"] or "all",
            "yes" if r["can_sign_in"] else "no",
        )
    console.print(table)
