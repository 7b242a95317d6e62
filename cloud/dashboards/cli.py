"""`plantwatch grafana ...`: render the dashboards and provisioning files, push them."""

from __future__ import annotations

import json
from pathlib import Path

import typer
import yaml

from cloud.dashboards.build import render
from cloud.dashboards.panels import Tsdb
from cloud.dashboards.provision import Sources, provisioning_files, push

app = typer.Typer(help="Grafana dashboards as code.", no_args_is_help=True)
DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "grafana"


@app.command()
def build(
    out: Path = typer.Option(DEPLOY, "--out", help="Folder for dashboards/ and provisioning/"),
    dashboards_path: str = typer.Option(
        "/var/lib/grafana/dashboards/plantwatch",
        "--dashboards-path",
        help="Where Grafana will find the dashboard JSON",
    ),
    tsdb: str = typer.Option(
        "victoriametrics", "--tsdb", help="Time series panels query: victoriametrics or influxdb"
    ),
) -> None:
    """Write every dashboard's JSON and Grafana's provisioning files (reproducibly)."""
    for name, doc in render(_tsdb(tsdb)).items():
        path = out / "dashboards" / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
        typer.echo(f"wrote {path}")
    # Grafana expands ${VAR} in provisioning files: the password stays out of the file.
    src = Sources(pg_password="${PLANTWATCH_GRAFANA_PG_PASSWORD}")
    for rel, doc in provisioning_files(src, dashboards_path).items():
        path = out / "provisioning" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        typer.echo(f"wrote {path}")


def _tsdb(name: str) -> Tsdb:
    if name not in ("victoriametrics", "influxdb"):
        raise typer.BadParameter("victoriametrics or influxdb", param_hint="--tsdb")
    return "influxdb" if name == "influxdb" else "victoriametrics"


@app.command()
def provision(
    url: str = typer.Option(..., "--url", help="Grafana's base URL"),
    token: str = typer.Option(..., "--token", envvar="GRAFANA_TOKEN", help="Service account token"),
    vm_url: str = typer.Option(Sources.vm_url, "--vm-url"),
    pg_host: str = typer.Option(Sources.pg_host, "--pg-host"),
    pg_database: str = typer.Option(Sources.pg_database, "--pg-database"),
    pg_user: str = typer.Option(Sources.pg_user, "--pg-user"),
    pg_password: str = typer.Option("", "--pg-password", envvar="PLANTWATCH_GRAFANA_PG_PASSWORD"),
    influx_url: str = typer.Option(Sources.influx_url, "--influx-url"),
    tsdb: str = typer.Option("victoriametrics", "--tsdb", help="victoriametrics or influxdb"),
) -> None:
    """Push data sources, the folder and the dashboards (safe to run again)."""
    from grafana_client.api import GrafanaApi

    src = Sources(vm_url, pg_host, pg_database, pg_user, pg_password, influx_url)
    done = push(GrafanaApi.from_url(url, credential=token), src, _tsdb(tsdb))
    for what in done.created:
        typer.echo(f"created {what}")
    for what in done.updated:
        typer.echo(f"updated {what}")


@app.command()
def role(
    database_url: str = typer.Option(
        ..., "--database-url", envvar="PLANTWATCH_DATABASE_URL", help="The cloud's (owner) URL"
    ),
    password: str = typer.Option(
        ..., "--password", envvar="PLANTWATCH_GRAFANA_PG_PASSWORD", help="The reader's password"
    ),
) -> None:
    """Create or update the read-only PostgreSQL role Grafana's data source logs in as."""
    from cloud.dashboards.reader_role import READER_ROLE, ensure_reader_role

    try:
        created = ensure_reader_role(database_url, password)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"{'created' if created else 'updated'} the read-only role {READER_ROLE}")
