"""`plantwatch cloud`: serve the API, manage gateways, tokens and API keys."""

from __future__ import annotations

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from cloud import crud
from cloud.db import make_engine, migrate, session_factory
from cloud.security import Role
from cloud.settings import Settings

app = typer.Typer(
    help="Cloud ingest service, asset registry and credentials.", no_args_is_help=True
)
gateway_app = typer.Typer(help="Gateways and their tokens.", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys for people and tools.", no_args_is_help=True)
app.add_typer(gateway_app, name="gateway")
app.add_typer(apikey_app, name="apikey")
console = Console()


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        console.print(f"[red]invalid settings[/red] (PLANTWATCH_* environment):\n{exc}")
        raise typer.Exit(2) from exc


def _session() -> tuple[Settings, Session]:
    settings = _settings()
    migrate(settings.database_url)
    return settings, session_factory(make_engine(settings.database_url))()


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    workers: int = typer.Option(1, "--workers", min=1),
) -> None:
    """Run the API with uvicorn, on embedded defaults unless PLANTWATCH_* says otherwise."""
    import uvicorn

    _settings()
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

    from cloud import background
    from cloud.alerts.notifier import Notifier
    from cloud.alerts.setup import channels_from
    from cloud.storage.factory import open_store

    settings = _settings()
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    store = open_store(settings)

    async def run() -> None:
        notifier = Notifier(channels_from(settings))
        tasks = background.start(
            settings, session_factory(engine), store, notifier, checker, scorer
        )
        if not tasks:
            console.print("[red]nothing to run[/red] (no checker, and no model registry)")
            raise typer.Exit(2)
        console.print(f"worker: {len(tasks)} loop(s), partition {settings.scoring_partition}")
        await asyncio.gather(*tasks)

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    finally:
        store.close()
        engine.dispose()


@gateway_app.command("create")
def gateway_create(gateway_id: str, description: str = typer.Option("", "--description")) -> None:
    """Register a gateway and print its first token (shown once)."""
    settings, session = _session()
    with session:
        try:
            crud.create_gateway(session, gateway_id, description)
        except crud.Conflict as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
        _, secret = crud.issue_gateway_token(session, settings.secret_key, gateway_id)
    print(secret)


@gateway_app.command("token")
def gateway_token(gateway_id: str) -> None:
    """Issue another token for a gateway (for rotation); printed once."""
    settings, session = _session()
    with session:
        try:
            _, secret = crud.issue_gateway_token(session, settings.secret_key, gateway_id)
        except crud.NotFound as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
    print(secret)


@gateway_app.command("list")
def gateway_list() -> None:
    """Gateways, their tokens (prefixes) and when they were last seen."""
    _, session = _session()
    table = Table("gateway", "last seen", "manifest", "tokens")
    with session:
        for g in crud.list_gateways(session):
            tokens = ", ".join(t.prefix + (" (revoked)" if t.revoked_at else "") for t in g.tokens)
            table.add_row(g.id, str(g.last_seen_at or "-"), str(g.manifest_version), tokens)
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
        except crud.NotFound as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
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
def apikey_list() -> None:
    """API keys (prefixes only)."""
    _, session = _session()
    table = Table("id", "name", "role", "prefix", "revoked")
    with session:
        for k in crud.list_api_keys(session):
            table.add_row(str(k.id), k.name, k.role, k.prefix, str(k.revoked_at or "-"))
    console.print(table)


@apikey_app.command("revoke")
def apikey_revoke(key_id: int) -> None:
    """Revoke an API key."""
    _, session = _session()
    with session:
        try:
            crud.revoke_api_key(session, key_id)
        except crud.NotFound as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
    console.print(f"revoked key {key_id}")
