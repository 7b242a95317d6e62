"""`plantwatch cloud`: serve the API, manage gateways, tokens and API keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import typer
from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from cloud import crud
from cloud.db import DatabaseUnavailable, open_database, session_factory
from cloud.errors import Conflict, NotFound
from cloud.security import Role
from cloud.settings import Settings
from kernel.contract import Identifier
from kernel.files import write_private

app = typer.Typer(
    help="Cloud ingest service, asset registry and credentials.", no_args_is_help=True
)
gateway_app = typer.Typer(help="Gateways and their tokens.", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys for people and tools.", no_args_is_help=True)
app.add_typer(gateway_app, name="gateway")
app.add_typer(apikey_app, name="apikey")
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
JSON_OPTION = typer.Option(False, "--json", help="Print JSON instead of a table")


def _fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            (".".join(str(x) for x in e["loc"]) + ": " if e["loc"] else "")
            + e["msg"].removeprefix("Value error, ")
            for e in exc.errors()
        )
        _fail(f"invalid settings (PLANTWATCH_* environment): {problems}", 2)


def _database() -> tuple[Settings, Engine]:
    settings = _settings()
    try:
        return settings, open_database(settings.database_url)
    except DatabaseUnavailable as exc:
        _fail(str(exc), 2)


def _session() -> tuple[Settings, Session]:
    settings, engine = _database()
    return settings, session_factory(engine)()


def _print_json(rows: list[dict[str, Any]]) -> None:
    print(json.dumps(rows, indent=2, default=str))


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    workers: int = typer.Option(1, "--workers", min=1),
) -> None:
    """Run the API with uvicorn, on embedded defaults unless PLANTWATCH_* says otherwise."""
    import uvicorn

    _database()[1].dispose()  # a database that cannot be opened is one line, not a traceback
    uvicorn.run(
        "cloud.asgi:app", host=host, port=port, workers=workers, log_level="info", access_log=False
    )


@app.command()
def worker(
    checker: bool = typer.Option(
        True, "--checker/--no-checker", help="Run the escalation and maintenance checks"
    ),
    scorer: bool = typer.Option(True, "--scorer/--no-scorer", help="Score this partition"),
) -> None:
    """Run the periodic work without the API (escalation checks in exactly one worker; one
    scorer per PLANTWATCH_SCORING_PARTITION)."""
    import asyncio
    import signal

    from cloud import background
    from cloud.alerts.notifier import Notifier
    from cloud.alerts.setup import channels_from
    from cloud.people.paging import Pager
    from cloud.storage.factory import open_store

    settings, engine = _database()
    store = open_store(settings)

    sessions = session_factory(engine)
    pager = Pager(settings, sessions)
    notifier = Notifier(channels_from(settings), pager=pager.page, requester=pager.tell_requester)
    work = background.loops(settings, sessions, store, notifier, checker, scorer)
    if not work:
        _fail("nothing to run (no checker, and no model registry)", 2)

    async def run() -> None:
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        console.print(f"worker: {len(work)} loop(s), partition {settings.scoring_partition}")
        await background.run(work, stop)
        console.print("worker stopped")

    try:
        asyncio.run(run())
    finally:
        store.close()
        engine.dispose()


@app.command("export")
def export_cmd(
    out: Path = typer.Option(..., "--out", help="Folder to write the Parquet files into"),
    since: datetime = typer.Option(..., "--since", help="UTC start, e.g. 2026-01-01"),
    until: datetime | None = typer.Option(None, "--until", help="UTC end (default now)"),
) -> None:
    """Write the stored telemetry and what happened (failures from corrective orders,
    maintenance, technicians' verdicts, dismissals) in the format the models train on."""
    from cloud.history_export import export_history
    from cloud.storage.factory import open_store

    settings, session = _session()
    store = open_store(settings)
    start = since if since.tzinfo else since.replace(tzinfo=UTC)
    end = (until if until.tzinfo else until.replace(tzinfo=UTC)) if until else datetime.now(UTC)
    try:
        with session:
            done = export_history(session, store, out, start, end)
    finally:
        store.close()
    events = ", ".join(f"{k} {n}" for k, n in sorted(done.events.items())) or "no events"
    console.print(
        f"{done.readings:,} readings of {done.assets} assets and {events} written to {out}"
    )


TOKEN_FILE = typer.Option(
    None, "--token-file", help="Write the token to this file (mode 0600) instead of printing it"
)


def _hand_over(secret: str, token_file: Path | None) -> None:
    if token_file is None:
        print(secret)
    else:
        write_private(token_file, secret + "\n")
        err.print(f"token written to {token_file} (mode 0600)", highlight=False)


@gateway_app.command("create")
def gateway_create(
    gateway_id: str,
    description: str = typer.Option("", "--description"),
    token_file: Path | None = TOKEN_FILE,
) -> None:
    """Register a gateway and print its first token (shown once)."""
    try:
        TypeAdapter(Identifier).validate_python(gateway_id)
    except ValidationError as exc:
        _fail(f"gateway id {gateway_id!r}: {exc.errors()[0]['msg']}", 2)
    settings, session = _session()
    with session:
        try:
            crud.create_gateway(session, gateway_id, description)
        except Conflict as exc:
            _fail(str(exc))
        _, secret = crud.issue_gateway_token(session, settings.secret_key, gateway_id)
    _hand_over(secret, token_file)


@gateway_app.command("token")
def gateway_token(gateway_id: str, token_file: Path | None = TOKEN_FILE) -> None:
    """Issue another token for a gateway (for rotation); printed once."""
    settings, session = _session()
    with session:
        try:
            _, secret = crud.issue_gateway_token(session, settings.secret_key, gateway_id)
        except NotFound as exc:
            _fail(str(exc))
    _hand_over(secret, token_file)


@gateway_app.command("list")
def gateway_list(as_json: bool = JSON_OPTION) -> None:
    """Gateways, their tokens (prefixes) and when they were last seen."""
    _, session = _session()
    with session:
        rows: list[dict[str, Any]] = [
            {
                "id": g.id,
                "last_seen_at": g.last_seen_at,
                "manifest_version": g.manifest_version,
                "tokens": [{"prefix": t.prefix, "revoked_at": t.revoked_at} for t in g.tokens],
            }
            for g in crud.list_gateways(session)
        ]
    if as_json:
        _print_json(rows)
        return
    table = Table("gateway", "last seen", "manifest", "tokens")
    for r in rows:
        tokens = ", ".join(
            t["prefix"] + (" (revoked)" if t["revoked_at"] else "") for t in r["tokens"]
        )
        table.add_row(r["id"], str(r["last_seen_at"] or "-"), str(r["manifest_version"]), tokens)
    console.print(table)


@gateway_app.command("revoke")
def gateway_revoke(
    gateway_id: str, prefix: str | None = typer.Option(None, "--prefix", help="Only this token")
) -> None:
    """Revoke a gateway's tokens."""
    _, session = _session()
    with session:
        try:
            n = crud.revoke_gateway_tokens(session, gateway_id, prefix)
        except NotFound as exc:
            _fail(str(exc))
    console.print(f"revoked {n} token(s) of {gateway_id}")


@apikey_app.command("create")
def apikey_create(
    name: str = typer.Option(..., "--name"), role: Role = typer.Option(Role.VIEWER, "--role")
) -> None:
    """Create an API key and print it (shown once)."""
    settings, session = _session()
    with session:
        _, secret = crud.create_api_key(session, settings.secret_key, name, role)
    print(secret)


@apikey_app.command("list")
def apikey_list(as_json: bool = JSON_OPTION) -> None:
    """API keys (prefixes only)."""
    _, session = _session()
    with session:
        rows: list[dict[str, Any]] = [
            {
                "id": k.id,
                "name": k.name,
                "role": k.role,
                "prefix": k.prefix,
                "revoked_at": k.revoked_at,
            }
            for k in crud.list_api_keys(session)
        ]
    if as_json:
        _print_json(rows)
        return
    table = Table("id", "name", "role", "prefix", "revoked")
    for r in rows:
        table.add_row(str(r["id"]), r["name"], r["role"], r["prefix"], str(r["revoked_at"] or "-"))
    console.print(table)


@apikey_app.command("revoke")
def apikey_revoke(key_id: int) -> None:
    """Revoke an API key."""
    _, session = _session()
    with session:
        try:
            crud.revoke_api_key(session, key_id)
        except NotFound as exc:
            _fail(str(exc))
    console.print(f"revoked key {key_id}")


from cloud.register_cli import classes, register_app  # noqa: E402 (uses the helpers above)
from cloud.user_cli import user_app  # noqa: E402 (it uses the helpers above)

app.add_typer(user_app, name="user")
app.add_typer(register_app, name="register")
app.command("classes")(classes)
