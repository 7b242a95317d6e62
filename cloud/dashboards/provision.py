"""Data sources, folder and dashboards for Grafana: as provisioning files, or pushed to a
running Grafana through its HTTP API with grafana-client (idempotent: everything is keyed by
uid and overwritten)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grafana_client.client import GrafanaClientError

from cloud.dashboards.build import FOLDER, render
from cloud.dashboards.panels import Tsdb
from cloud.dashboards.queries import INFLUX, PG, VM
from cloud.dashboards.reader_role import READER_ROLE


@dataclass(frozen=True)
class Sources:
    """Where the data sources live, as Grafana should reach them."""

    vm_url: str = "http://victoriametrics:8428"
    pg_host: str = "postgres:5432"
    pg_database: str = "plantwatch"
    pg_user: str = READER_ROLE
    pg_password: str = ""
    influx_url: str = "http://influxdb:8086"
    influx_database: str = "plantwatch"


def datasources(src: Sources) -> list[dict[str, Any]]:
    """Grafana's data source definitions (the API's and the provisioning file's fields)."""
    return [
        {
            "uid": VM["uid"],
            "name": "plantwatch VictoriaMetrics",
            "type": VM["type"],
            "access": "proxy",
            "url": src.vm_url,
            "isDefault": True,
            "jsonData": {"httpMethod": "POST", "timeInterval": "1m"},
        },
        {
            "uid": PG["uid"],
            "name": "plantwatch PostgreSQL",
            "type": PG["type"],
            "access": "proxy",
            "url": src.pg_host,
            "user": src.pg_user,
            "jsonData": {
                "database": src.pg_database,
                "sslmode": "disable",
                "postgresVersion": 1500,
                "timescaledb": False,
            },
            "secureJsonData": {"password": src.pg_password},
        },
        {
            "uid": INFLUX["uid"],
            "name": "plantwatch InfluxDB (InfluxQL)",
            "type": INFLUX["type"],
            "access": "proxy",
            "url": src.influx_url,
            "jsonData": {"dbName": src.influx_database, "httpMode": "POST", "version": "InfluxQL"},
        },
    ]


def provisioning_files(src: Sources, dashboards_path: str) -> dict[str, dict[str, Any]]:
    """Grafana's file provisioning: data sources, and a provider for the dashboard folder."""
    return {
        "datasources/plantwatch.yaml": {"apiVersion": 1, "datasources": datasources(src)},
        "dashboards/plantwatch.yaml": {
            "apiVersion": 1,
            "providers": [
                {
                    "name": "plantwatch",
                    "folder": FOLDER,
                    "folderUid": FOLDER,
                    "type": "file",
                    "disableDeletion": False,
                    "allowUiUpdates": False,
                    "options": {"path": dashboards_path},
                }
            ],
        },
    }


@dataclass
class Pushed:
    """What a push did, by kind: created or updated."""

    created: list[str]
    updated: list[str]


def push(api: Any, src: Sources, tsdb: Tsdb = "victoriametrics") -> Pushed:
    """Create or update the data sources, the folder and every dashboard (``api``: a
    grafana-client ``GrafanaApi``, whose calls are untyped)."""
    out = Pushed([], [])
    for ds in datasources(src):
        try:
            api.datasource.get_datasource_by_uid(ds["uid"])
        except GrafanaClientError:
            api.datasource.create_datasource(ds)
            out.created.append(f"datasource {ds['uid']}")
        else:
            api.datasource.update_datasource_by_uid(ds["uid"], ds)
            out.updated.append(f"datasource {ds['uid']}")
    try:
        api.folder.get_folder(FOLDER)
        out.updated.append(f"folder {FOLDER}")
    except GrafanaClientError:
        api.folder.create_folder(FOLDER, uid=FOLDER)
        out.created.append(f"folder {FOLDER}")
    for name, doc in render(tsdb).items():
        api.dashboard.update_dashboard({"dashboard": doc, "folderUid": FOLDER, "overwrite": True})
        out.updated.append(f"dashboard {doc['uid']} ({name})")
    return out
