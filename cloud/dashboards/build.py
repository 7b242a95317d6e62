"""The dashboards, generated with Grafana's foundation SDK: fleet overview, asset detail,
work orders and SLA, maintenance and lifecycle, ingest health. ``render`` gives the JSON
committed under ``deploy/grafana/dashboards``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder

from cloud.dashboards.lifecycle import maintenance_and_lifecycle
from cloud.dashboards.operations import ingest_health, work_orders_and_sla
from cloud.dashboards.panels import (
    AMBER,
    BACKLOG,
    GREEN,
    IN_SCOPE,
    INFLUX_REF,
    PG_REF,
    RED,
    VM_REF,
    Tsdb,
    asset_link,
    board,
    coloured_column,
    hidden,
    promql,
    scope_variables,
    stat_panel,
    steps,
    table_panel,
)
from cloud.dashboards.queries import InfluxQL, Sql

FOLDER = "plantwatch"
STALE_S = 15 * 60  # data older than this is amber


def fleet_overview() -> dash.Dashboard:
    """Asset health, open warnings, open orders, data freshness per gateway."""
    out = board("plantwatch-fleet", "plantwatch: fleet overview", "Every asset's risk at a glance")
    for v in scope_variables():
        out = out.with_variable(v)
    freshness, fresh_props = coloured_column("seconds ago", (None, GREEN), (STALE_S, AMBER))
    return (
        out.with_panel(
            stat_panel(
                "Open warnings",
                "SELECT count(*) AS warnings FROM warnings w JOIN assets a ON a.id = w.asset_id"
                f" WHERE w.state = 'open' AND {IN_SCOPE}",
            ).thresholds(steps((None, GREEN), (1, AMBER)))
        )
        .with_panel(
            stat_panel(
                "Open work orders",
                "SELECT count(*) AS orders FROM work_orders o JOIN assets a ON a.id = o.asset_id"
                f" WHERE o.state IN {BACKLOG} AND {IN_SCOPE}",
            )
        )
        .with_panel(
            stat_panel(
                "Assets at elevated risk or above",
                "SELECT count(*) AS assets FROM risk_states r JOIN assets a ON a.id = r.asset_id"
                f" WHERE r.risk_band <> 'low' AND {IN_SCOPE}",
            ).thresholds(steps((None, GREEN), (1, AMBER)))
        )
        .with_panel(
            stat_panel(
                "Gateways silent > 5 min",
                "SELECT count(*) AS gateways FROM gateways"
                " WHERE last_seen_at IS NULL OR last_seen_at < now() - interval '5 minutes'",
            ).thresholds(steps((None, GREEN), (1, RED)))
        )
        .with_panel(
            table_panel(
                "Open warnings",
                f"""SELECT w.opened_at AS opened, w.asset_id AS asset, w.failure_mode AS mode,
                   w.probability, w.risk_band AS band, w.ttf_p50_h AS "hours to failure",
                   w.ttf_p10_h AS "p10 h", w.ttf_p90_h AS "p90 h", w.work_order_id AS "order"
                   FROM warnings w JOIN assets a ON a.id = w.asset_id
                   WHERE w.state = 'open' AND {IN_SCOPE} ORDER BY w.probability DESC""",
            ).override_by_name("asset", asset_link())
        )
        .with_panel(
            table_panel(
                "Asset health",
                f"""SELECT a.id AS asset, a.asset_class AS class, a.site, a.building,
                   r.probability, r.risk_band AS band, r.health, r.data_until AS "data until",
                   EXTRACT(EPOCH FROM now() - r.data_until) AS "seconds ago"
                   FROM assets a LEFT JOIN risk_states r ON r.asset_id = a.id
                   WHERE NOT a.retired AND {IN_SCOPE}
                   ORDER BY r.probability DESC NULLS LAST, a.id""",
                w=16,
                h=10,
            )
            .override_by_name("asset", asset_link())
            .override_by_name(freshness, fresh_props)
            .override_by_name(
                *coloured_column("probability", (None, GREEN), (0.25, AMBER), (0.5, RED))
            )
        )
        .with_panel(
            table_panel(
                "Data freshness per gateway",
                """SELECT g.id AS gateway, g.last_seen_at AS "last seen",
                   EXTRACT(EPOCH FROM now() - g.last_seen_at) AS "seconds ago",
                   (SELECT count(*) FROM assets a WHERE a.gateway_id = g.id) AS assets
                   FROM gateways g ORDER BY g.last_seen_at NULLS FIRST""",
                w=8,
                h=10,
            ).override_by_name(freshness, fresh_props)
        )
    )


def _annotation(name: str, color: str, sql: str) -> dash.AnnotationQuery:
    return (
        dash.AnnotationQuery()
        .name(name)
        .datasource(PG_REF)
        .enable(True)
        .icon_color(color)
        .target(Sql(sql))  # type: ignore[arg-type]
    )


# Each unit of the asset: its label as text, the regex of its series as value, so a panel
# repeated per unit draws one quantity. VictoriaMetrics names a series <class>_<signal>;
# InfluxDB keeps the signal as a field of the class's measurement.
_UNITS = """SELECT coalesce(nullif(s.unit, ''), 'state') AS __text,
   string_agg({series}, '|' ORDER BY s.name) AS __value
   FROM signals s JOIN assets a ON a.id = s.asset_id WHERE a.id = '$asset'
   GROUP BY 1 ORDER BY 1"""
UNITS = _UNITS.format(series="a.asset_class || '_' || s.name")
UNIT_FIELDS = _UNITS.format(series="s.name")
INFLUX_UNIT = """SELECT mean(/^(${unit:raw})$/) FROM /^${asset_class:raw}$/
   WHERE "asset" = '$asset' AND $timeFilter GROUP BY time($__interval) fill(none)"""


def _unit_panel(tsdb: Tsdb) -> timeseries.Panel:
    panel = timeseries.Panel().title("$asset in ${unit:text}")
    if tsdb == "influxdb":
        panel = panel.datasource(INFLUX_REF).with_target(InfluxQL(INFLUX_UNIT))
    else:
        query = promql('{asset="$asset", __name__=~"${unit:raw}"}', "{{__name__}}")
        panel = panel.datasource(VM_REF).with_target(query)
    return panel.repeat("unit").repeat_direction("h").span(12).height(9)


def asset_detail(tsdb: Tsdb = "victoriametrics") -> dash.Dashboard:
    """One asset's signals, one panel per unit, with its warnings and work orders marked."""
    asset_var = (
        dash.QueryVariable("asset")
        .label("Asset")
        .datasource(PG_REF)
        .query(f"SELECT a.id FROM assets a WHERE NOT a.retired AND {IN_SCOPE} ORDER BY a.id")
        .refresh(1)  # type: ignore[arg-type]
    )
    unit_var = (
        dash.QueryVariable("unit")
        .label("Unit")
        .datasource(PG_REF)
        .query(UNIT_FIELDS if tsdb == "influxdb" else UNITS)
        .multi(True)
        .include_all(True)
        .refresh(1)  # type: ignore[arg-type]
    )
    out = board("plantwatch-asset", "plantwatch: asset detail", "One asset, its signals and story")
    for v in scope_variables():
        out = out.with_variable(hidden(v))
    if tsdb == "influxdb":
        out = out.with_variable(
            hidden(
                dash.QueryVariable("asset_class")
                .datasource(PG_REF)
                .query("SELECT asset_class FROM assets WHERE id = '$asset'")
                .refresh(1)  # type: ignore[arg-type]
            )
        )
    return (
        out.with_variable(asset_var)
        .with_variable(unit_var)
        .annotation(
            _annotation(
                "Warnings",
                "red",
                """SELECT opened_at AS time, coalesce(closed_at, now()) AS timeend,
                   'warning ' || id || ': ' || failure_mode || ' p='
                   || round(probability::numeric, 2) AS text FROM warnings WHERE asset_id = '$asset'
                   AND $__timeFilter(opened_at)""",
            )
        )
        .annotation(
            _annotation(
                "Work orders",
                "blue",
                """SELECT reported_at AS time, 'order ' || id || ' (' || source || ', '
                   || state || '): ' || title AS text FROM work_orders
                   WHERE asset_id = '$asset' AND $__timeFilter(reported_at)""",
            )
        )
        .annotation(
            _annotation(
                "Local alarms",
                "orange",
                """SELECT ts AS time, rule || ' ' || state || ' (' || severity || '): '
                   || message AS text FROM alarm_events
                   WHERE asset_id = '$asset' AND $__timeFilter(ts)""",
            )
        )
        .with_panel(_unit_panel(tsdb))
        .with_panel(
            table_panel(
                "Work orders of $asset",
                """SELECT id, reported_at AS reported, source, priority, team_id AS team,
                   assignee, state, outcome, labour_h AS "labour h", parts_cost AS "parts cost"
                   FROM work_orders WHERE asset_id = '$asset' ORDER BY id DESC""",
            )
        )
    )


DASHBOARDS: dict[str, Callable[[Tsdb], dash.Dashboard]] = {
    "fleet-overview": lambda _: fleet_overview(),
    "asset-detail": asset_detail,
    "work-orders-sla": lambda _: work_orders_and_sla(),
    "maintenance-lifecycle": lambda _: maintenance_and_lifecycle(),
    "ingest-health": ingest_health,
}


def render(tsdb: Tsdb = "victoriametrics") -> dict[str, dict[str, Any]]:
    """Every dashboard as Grafana's JSON model (panel ids and positions assigned), its time
    series panels querying ``tsdb``."""
    out = {}
    for name, make in DASHBOARDS.items():
        doc: dict[str, Any] = json.loads(json.dumps(make(tsdb).build(), cls=JSONEncoder))
        x = y = row_h = 0
        for i, panel in enumerate(doc.get("panels", []), start=1):
            panel["id"] = i
            if panel.get("options") is None:
                panel["options"] = {}
            for j, target in enumerate(panel.get("targets", [])):
                target["refId"] = target.get("refId") or "ABCDEFGH"[j]
                target.setdefault("datasource", panel["datasource"])
            pos = panel.setdefault("gridPos", {"w": 12, "h": 8})
            w, h = pos.get("w", 12), pos.get("h", 8)
            if x + w > 24:
                x, y, row_h = 0, y + row_h, 0
            pos.update(x=x, y=y, w=w, h=h)
            x, row_h = x + w, max(row_h, h)
        out[name] = doc
    return out
