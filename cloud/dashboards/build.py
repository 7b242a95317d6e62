"""The dashboards, generated with Grafana's foundation SDK: fleet overview, asset detail,
work orders and SLA, ingest health. ``render`` gives the JSON committed under
``deploy/grafana/dashboards``."""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import prometheus, stat, table, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from cloud.dashboards.queries import PG, VM, Sql

FOLDER = "plantwatch"
TAGS = ["plantwatch"]
BACKLOG = "('reported', 'dispatched', 'acknowledged', 'on_site', 'in_progress', 'on_hold')"
_VM = DataSourceRef(type_val=VM["type"], uid=VM["uid"])
_PG = DataSourceRef(type_val=PG["type"], uid=PG["uid"])


def _board(uid: str, title: str, description: str) -> dash.Dashboard:
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


def _table(title: str, sql: str, w: int = 24, h: int = 8) -> table.Panel:
    return table.Panel().title(title).datasource(_PG).with_target(Sql(sql)).span(w).height(h)


def _stat(title: str, sql: str, unit: str = "none", w: int = 4) -> stat.Panel:
    return stat.Panel().title(title).datasource(_PG).with_target(Sql(sql)).unit(unit).span(w)


def _promql(expr: str, legend: str) -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend).range()


def fleet_overview() -> dash.Dashboard:
    """Asset health, open warnings, open orders, data freshness per gateway."""
    return (
        _board("plantwatch-fleet", "plantwatch: fleet overview", "Every asset's risk at a glance")
        .with_panel(
            _stat("Open warnings", "SELECT count(*) AS warnings FROM warnings WHERE state = 'open'")
        )
        .with_panel(
            _stat(
                "Open work orders",
                f"SELECT count(*) AS orders FROM work_orders WHERE state IN {BACKLOG}",
            )
        )
        .with_panel(
            _stat(
                "Assets at elevated risk or above",
                "SELECT count(*) AS assets FROM risk_states WHERE risk_band <> 'low'",
            )
        )
        .with_panel(
            _stat(
                "Gateways silent > 5 min",
                "SELECT count(*) AS gateways FROM gateways"
                " WHERE last_seen_at IS NULL OR last_seen_at < now() - interval '5 minutes'",
            )
        )
        .with_panel(
            _table(
                "Open warnings",
                """SELECT w.opened_at AS opened, w.asset_id AS asset, w.failure_mode AS mode,
                   w.probability, w.risk_band AS band, w.ttf_p50_h AS "hours to failure",
                   w.ttf_p10_h AS "p10 h", w.ttf_p90_h AS "p90 h", w.work_order_id AS "order"
                   FROM warnings w WHERE w.state = 'open' ORDER BY w.probability DESC""",
            )
        )
        .with_panel(
            _table(
                "Asset health",
                """SELECT a.id AS asset, a.asset_class AS class, a.site, a.building,
                   r.probability, r.risk_band AS band, r.health, r.data_until AS "data until"
                   FROM assets a LEFT JOIN risk_states r ON r.asset_id = a.id
                   WHERE NOT a.retired ORDER BY r.probability DESC NULLS LAST, a.id""",
                w=16,
                h=10,
            )
        )
        .with_panel(
            _table(
                "Data freshness per gateway",
                """SELECT g.id AS gateway, g.last_seen_at AS "last seen",
                   EXTRACT(EPOCH FROM now() - g.last_seen_at) AS "seconds ago",
                   (SELECT count(*) FROM assets a WHERE a.gateway_id = g.id) AS assets
                   FROM gateways g ORDER BY g.last_seen_at NULLS FIRST""",
                w=8,
                h=10,
            )
        )
    )


def _annotation(name: str, color: str, sql: str) -> dash.AnnotationQuery:
    return (
        dash.AnnotationQuery()
        .name(name)
        .datasource(_PG)
        .enable(True)
        .icon_color(color)
        .target(Sql(sql))  # type: ignore[arg-type]
    )


def asset_detail() -> dash.Dashboard:
    """One asset's signals with its warnings and work orders marked on them."""
    asset_var = (
        dash.QueryVariable("asset")
        .label("Asset")
        .datasource(_PG)
        .query("SELECT id FROM assets WHERE NOT retired ORDER BY id")
        .refresh(1)  # type: ignore[arg-type]
    )
    return (
        _board("plantwatch-asset", "plantwatch: asset detail", "One asset, its signals and story")
        .with_variable(asset_var)
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
        .with_panel(
            timeseries.Panel()
            .title("Signals of $asset")
            .datasource(_VM)
            .with_target(_promql('{asset="$asset", __name__!~".*_quality"}', "{{__name__}}"))
            .span(24)
            .height(12)
        )
        .with_panel(
            _table(
                "Work orders of $asset",
                """SELECT id, reported_at AS reported, source, priority, team_id AS team,
                   assignee, state, outcome FROM work_orders WHERE asset_id = '$asset'
                   ORDER BY id DESC""",
            )
        )
    )


def work_orders_and_sla() -> dash.Dashboard:
    """1530 compliance, MTTA and MTTR, backlog, escalations, overdue orders."""
    in_period = "$__timeFilter(reported_at)"
    pct = "round(100.0 * avg(CASE WHEN {done} <= {due} THEN 1 ELSE 0 END), 1)"
    return (
        _board("plantwatch-orders", "plantwatch: work orders and SLA", "The 1530 service level")
        .with_panel(
            _stat(
                "Dispatched within 1 min (1530)",
                f"SELECT {pct.format(done='dispatched_at', due='dispatch_by')} AS pct"
                f" FROM work_order_facts WHERE policy = '1530' AND dispatched_at IS NOT NULL"
                f" AND {in_period}",
                "percent",
            )
        )
        .with_panel(
            _stat(
                "Acknowledged within 5 min (1530)",
                f"SELECT {pct.format(done='acknowledged_at', due='acknowledge_by')} AS pct"
                f" FROM work_order_facts WHERE policy = '1530' AND {in_period}"
                " AND (acknowledged_at IS NOT NULL OR acknowledge_by < now())",
                "percent",
            )
        )
        .with_panel(
            _stat(
                "On site within 30 min (1530)",
                f"SELECT {pct.format(done='on_site_at', due='on_site_by')} AS pct"
                f" FROM work_order_facts WHERE policy = '1530' AND {in_period}"
                " AND (on_site_at IS NOT NULL OR on_site_by < now())",
                "percent",
            )
        )
        .with_panel(
            _stat(
                "MTTA",
                "SELECT avg(EXTRACT(EPOCH FROM acknowledged_at - reported_at)) AS seconds"
                f" FROM work_order_facts WHERE acknowledged_at IS NOT NULL AND {in_period}",
                "s",
            )
        )
        .with_panel(
            _stat(
                "MTTR",
                "SELECT avg(EXTRACT(EPOCH FROM completed_at - reported_at)) AS seconds"
                f" FROM work_order_facts WHERE completed_at IS NOT NULL AND {in_period}",
                "s",
            )
        )
        .with_panel(
            _stat(
                "Escalated orders",
                f"SELECT count(*) AS orders FROM work_order_facts WHERE escalations > 0"
                f" AND {in_period}",
            )
        )
        .with_panel(
            _table(
                "Backlog by team, priority and age",
                f"""SELECT coalesce(team_id, 'unrouted') AS team, priority,
                   CASE WHEN now() - reported_at < interval '1 hour' THEN '<1h'
                        WHEN now() - reported_at < interval '1 day' THEN '1h-1d'
                        WHEN now() - reported_at < interval '7 days' THEN '1d-7d'
                        ELSE '>7d' END AS age, count(*) AS orders
                   FROM work_orders WHERE state IN {BACKLOG} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""",
                w=12,
            )
        )
        .with_panel(
            _table(
                "Overdue orders",
                f"""SELECT id, asset_id AS asset, team_id AS team, assignee, state, priority,
                   reported_at AS reported, CASE
                     WHEN dispatched_at IS NULL AND dispatch_by < now() THEN 'dispatch'
                     WHEN acknowledged_at IS NULL AND acknowledge_by < now() THEN 'acknowledge'
                     ELSE 'arrival' END AS late
                   FROM work_order_facts WHERE state IN {BACKLOG} AND (
                     (dispatched_at IS NULL AND dispatch_by < now())
                     OR (acknowledged_at IS NULL AND acknowledge_by < now())
                     OR (on_site_at IS NULL AND on_site_by < now()))
                   ORDER BY reported_at""",
                w=12,
            )
        )
        .with_panel(
            timeseries.Panel()
            .title("Escalations per hour")
            .datasource(_PG)
            .with_target(
                Sql(
                    """SELECT date_trunc('hour', at) AS time, count(*) AS escalations
                       FROM escalations WHERE $__timeFilter(at) GROUP BY 1 ORDER BY 1""",
                    series=True,
                )
            )
            .span(12)
        )
        .with_panel(
            _table(
                "Predictions judged by technicians",
                f"""SELECT count(*) FILTER (WHERE outcome = 'confirmed') AS confirmed,
                   count(*) FILTER (WHERE outcome = 'false_alarm') AS "false alarms",
                   round(100.0 * count(*) FILTER (WHERE outcome = 'confirmed')
                     / nullif(count(*) FILTER (WHERE outcome IN ('confirmed', 'false_alarm')), 0),
                     1) AS "precision %"
                   FROM work_orders WHERE source = 'warning' AND {in_period}""",
                w=12,
            )
        )
    )


def ingest_health() -> dash.Dashboard:
    """Readings arriving per gateway, series in the store, gateways and their manifests."""
    return (
        _board("plantwatch-ingest", "plantwatch: ingest health", "Data arriving from gateways")
        .with_panel(
            timeseries.Panel()
            .title("Readings stored per hour, by gateway")
            .datasource(_PG)
            .with_target(
                Sql(
                    """SELECT date_trunc('hour', received_at) AS time, gateway_id AS metric,
                       sum(readings) AS readings FROM ingested_batches
                       WHERE $__timeFilter(received_at) GROUP BY 1, 2 ORDER BY 1""",
                    series=True,
                )
            )
            .span(12)
        )
        .with_panel(
            timeseries.Panel()
            .title("Stored samples per 10 minutes, by site")
            .datasource(_VM)
            .with_target(_promql('sum by (site) (count_over_time({asset!=""}[10m]))', "{{site}}"))
            .span(12)
        )
        .with_panel(
            _table(
                "Gateways",
                """SELECT g.id AS gateway, g.manifest_at AS "manifest", g.last_seen_at AS
                   "last seen", (SELECT count(*) FROM ingested_batches b
                   WHERE b.gateway_id = g.id) AS batches, (SELECT coalesce(sum(readings), 0)
                   FROM ingested_batches b WHERE b.gateway_id = g.id) AS readings
                   FROM gateways g ORDER BY g.id""",
            )
        )
    )


DASHBOARDS = {
    "fleet-overview": fleet_overview,
    "asset-detail": asset_detail,
    "work-orders-sla": work_orders_and_sla,
    "ingest-health": ingest_health,
}


def render() -> dict[str, dict[str, Any]]:
    """Every dashboard as Grafana's JSON model (panel ids and positions assigned)."""
    out = {}
    for name, make in DASHBOARDS.items():
        doc: dict[str, Any] = json.loads(json.dumps(make().build(), cls=JSONEncoder))
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
