"""Building blocks of the dashboards: boards, panels, thresholds, links and the site,
building and class variables every manager's board filters by."""

from __future__ import annotations

from typing import Literal

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import prometheus, stat, table
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    DynamicConfigValue,
    Threshold,
    ThresholdsMode,
    VariableHide,
)

from cloud.dashboards.queries import INFLUX, PG, VM, Sql

# Where the time series live: the panels that read them query VictoriaMetrics (PromQL) or
# InfluxDB (InfluxQL); everything else reads PostgreSQL.
Tsdb = Literal["victoriametrics", "influxdb"]
TAGS = ["plantwatch"]
VM_REF = DataSourceRef(type_val=VM["type"], uid=VM["uid"])
PG_REF = DataSourceRef(type_val=PG["type"], uid=PG["uid"])
INFLUX_REF = DataSourceRef(type_val=INFLUX["type"], uid=INFLUX["uid"])
BACKLOG = "('reported', 'dispatched', 'acknowledged', 'on_site', 'in_progress', 'on_hold')"
# Assets of the chosen sites, buildings and classes (alias ``a`` for assets).
IN_SCOPE = "a.site IN ($site) AND a.building IN ($building) AND a.asset_class IN ($class)"
ASSET_LINK = "/d/plantwatch-asset/plantwatch-asset-detail?var-asset=${__value.raw}"
GREEN, AMBER, RED = "green", "orange", "red"


def board(uid: str, title: str, description: str) -> dash.Dashboard:
    """A dashboard with plantwatch's defaults."""
    return (
        dash.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(TAGS)
        .timezone("utc")
        .refresh("1m")
        .time("now-7d", "now")
        .editable()
    )


def table_panel(title: str, sql: str, w: int = 24, h: int = 8) -> table.Panel:
    """A table of a SQL query."""
    return table.Panel().title(title).datasource(PG_REF).with_target(Sql(sql)).span(w).height(h)


def stat_panel(title: str, sql: str, unit: str = "none", w: int = 4) -> stat.Panel:
    """One figure of a SQL query."""
    return stat.Panel().title(title).datasource(PG_REF).with_target(Sql(sql)).unit(unit).span(w)


def promql(expr: str, legend: str) -> prometheus.Dataquery:
    """A range query on VictoriaMetrics."""
    return prometheus.Dataquery().expr(expr).legend_format(legend).range()


def steps(*pairs: tuple[float | None, str]) -> dash.ThresholdsConfig:
    """Absolute thresholds: (from value, colour), the first from minus infinity (None)."""
    return (
        dash.ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=v, color=c) for v, c in pairs])
    )


def coloured_column(
    name: str, *pairs: tuple[float | None, str]
) -> tuple[str, list[DynamicConfigValue]]:
    """Override colouring a table column's cells by thresholds."""
    return name, [
        DynamicConfigValue("thresholds", steps(*pairs).build()),
        DynamicConfigValue("custom.cellOptions", {"type": "color-background"}),
    ]


def asset_link(title: str = "Open the asset's detail") -> list[DynamicConfigValue]:
    """Override making an ``asset`` column link to that asset's detail board."""
    return [DynamicConfigValue("links", [{"title": title, "url": ASSET_LINK}])]


def _pg_variable(name: str, label: str, sql: str) -> dash.QueryVariable:
    return (
        dash.QueryVariable(name)
        .label(label)
        .datasource(PG_REF)
        .query(sql)
        .multi(True)
        .include_all(True)
        .refresh(1)  # type: ignore[arg-type]
    )


def scope_variables() -> list[dash.QueryVariable]:
    """Site, building (of the chosen sites) and asset class: all selected at first."""
    return [
        _pg_variable("site", "Site", "SELECT DISTINCT site FROM assets ORDER BY 1"),
        _pg_variable(
            "building",
            "Building",
            "SELECT DISTINCT building FROM assets WHERE site IN ($site) ORDER BY 1",
        ),
        _pg_variable(
            "class",
            "Class",
            "SELECT name_en AS __text, name AS __value FROM asset_classes ORDER BY name",
        ),
    ]


def hidden(variable: dash.QueryVariable) -> dash.QueryVariable:
    """The variable, not shown on the board."""
    return variable.hide(VariableHide.HIDE_VARIABLE)
