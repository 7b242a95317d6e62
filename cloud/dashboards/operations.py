"""The operations boards: work orders against the 1530 service level, and ingest health."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import stat, timeseries

from cloud.dashboards.panels import (
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
    promql,
    scope_variables,
    stat_panel,
    steps,
    table_panel,
)
from cloud.dashboards.queries import InfluxQL, Sql

TARGET_PCT = 95.0  # 1530 compliance under this is red
FACTS = "work_order_facts f JOIN assets a ON a.id = f.asset_id"


def _compliance(title: str, done: str, due: str, only_due: bool) -> stat.Panel:
    """Share of 1530 orders that met one deadline: those done, and (``only_due``) also
    those whose deadline passed undone."""
    counted = f"(f.{done} IS NOT NULL OR f.{due} < now())" if only_due else f"f.{done} IS NOT NULL"
    sql = (
        f"SELECT round(100.0 * avg(CASE WHEN f.{done} <= f.{due} THEN 1 ELSE 0 END), 1) AS pct"
        f" FROM {FACTS} WHERE f.policy = '1530' AND $__timeFilter(f.reported_at)"
        f" AND {IN_SCOPE} AND {counted}"
    )
    return stat_panel(title, sql, "percent").thresholds(steps((None, RED), (TARGET_PCT, GREEN)))


def work_orders_and_sla() -> dash.Dashboard:
    """1530 compliance, MTTA and MTTR, backlog, escalations, overdue orders."""
    in_period = "$__timeFilter(f.reported_at)"
    out = board("plantwatch-orders", "plantwatch: work orders and SLA", "The 1530 service level")
    for v in scope_variables():
        out = out.with_variable(v)
    return (
        out.with_panel(
            _compliance("Dispatched within 1 min (1530)", "dispatched_at", "dispatch_by", False)
        )
        .with_panel(
            _compliance(
                "Acknowledged within 5 min (1530)", "acknowledged_at", "acknowledge_by", True
            )
        )
        .with_panel(_compliance("On site within 30 min (1530)", "on_site_at", "on_site_by", True))
        .with_panel(
            stat_panel(
                "MTTA",
                "SELECT avg(EXTRACT(EPOCH FROM f.acknowledged_at - f.reported_at)) AS seconds"
                f" FROM {FACTS} WHERE f.acknowledged_at IS NOT NULL AND {in_period}"
                f" AND {IN_SCOPE}",
                "s",
            )
        )
        .with_panel(
            stat_panel(
                "MTTR",
                "SELECT avg(EXTRACT(EPOCH FROM f.completed_at - f.reported_at)) AS seconds"
                f" FROM {FACTS} WHERE f.completed_at IS NOT NULL AND {in_period} AND {IN_SCOPE}",
                "s",
            )
        )
        .with_panel(
            stat_panel(
                "Escalated orders",
                f"SELECT count(*) AS orders FROM {FACTS} WHERE f.escalations > 0"
                f" AND {in_period} AND {IN_SCOPE}",
            )
        )
        .with_panel(
            table_panel(
                "Backlog by team, priority and age",
                f"""SELECT coalesce(o.team_id, 'unrouted') AS team, o.priority,
                   CASE WHEN now() - o.reported_at < interval '1 hour' THEN '<1h'
                        WHEN now() - o.reported_at < interval '1 day' THEN '1h-1d'
                        WHEN now() - o.reported_at < interval '7 days' THEN '1d-7d'
                        ELSE '>7d' END AS age, count(*) AS orders
                   FROM work_orders o JOIN assets a ON a.id = o.asset_id
                   WHERE o.state IN {BACKLOG} AND {IN_SCOPE}
                   GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""",
                w=12,
            )
        )
        .with_panel(
            table_panel(
                "Overdue orders",
                f"""SELECT f.id, f.asset_id AS asset, f.team_id AS team, f.assignee, f.state,
                   f.priority, f.reported_at AS reported, CASE
                     WHEN f.dispatched_at IS NULL AND f.dispatch_by < now() THEN 'dispatch'
                     WHEN f.acknowledged_at IS NULL AND f.acknowledge_by < now()
                       THEN 'acknowledge'
                     ELSE 'arrival' END AS late
                   FROM {FACTS} WHERE f.state IN {BACKLOG} AND {IN_SCOPE} AND (
                     (f.dispatched_at IS NULL AND f.dispatch_by < now())
                     OR (f.acknowledged_at IS NULL AND f.acknowledge_by < now())
                     OR (f.on_site_at IS NULL AND f.on_site_by < now()))
                   ORDER BY f.reported_at""",
                w=12,
            ).override_by_name("asset", asset_link())
        )
        .with_panel(
            timeseries.Panel()
            .title("Escalations per hour")
            .datasource(PG_REF)
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
            table_panel(
                "Predictions judged by technicians",
                f"""SELECT count(*) FILTER (WHERE o.outcome = 'confirmed') AS confirmed,
                   count(*) FILTER (WHERE o.outcome = 'false_alarm') AS "false alarms",
                   round(100.0 * count(*) FILTER (WHERE o.outcome = 'confirmed')
                     / nullif(count(*) FILTER (WHERE o.outcome IN ('confirmed', 'false_alarm')),
                     0), 1) AS "precision %"
                   FROM work_orders o JOIN assets a ON a.id = o.asset_id
                   WHERE o.source = 'warning' AND $__timeFilter(o.reported_at) AND {IN_SCOPE}""",
                w=12,
            )
        )
    )


def _stored_series(tsdb: Tsdb) -> timeseries.Panel:
    if tsdb == "influxdb":
        counted = InfluxQL(
            """SELECT count(*) FROM /.*/ WHERE $timeFilter GROUP BY time(10m), "site" fill(none)"""
        )
        panel = timeseries.Panel().title("Stored values per 10 minutes, by measurement and site")
        return panel.datasource(INFLUX_REF).with_target(counted).span(12)
    samples = promql('sum by (site) (count_over_time({asset!=""}[10m]))', "{{site}}")
    panel = timeseries.Panel().title("Stored samples per 10 minutes, by site")
    return panel.datasource(VM_REF).with_target(samples).span(12)


def ingest_health(tsdb: Tsdb = "victoriametrics") -> dash.Dashboard:
    """Readings arriving per gateway, series in the store, gateways and their manifests."""
    return (
        board("plantwatch-ingest", "plantwatch: ingest health", "Data arriving from gateways")
        .with_panel(
            timeseries.Panel()
            .title("Readings stored per hour, by gateway")
            .datasource(PG_REF)
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
        .with_panel(_stored_series(tsdb))
        .with_panel(
            table_panel(
                "Gateways",
                """SELECT g.id AS gateway, g.manifest_at AS "manifest", g.last_seen_at AS
                   "last seen", (SELECT count(*) FROM ingested_batches b
                   WHERE b.gateway_id = g.id) AS batches, (SELECT coalesce(sum(readings), 0)
                   FROM ingested_batches b WHERE b.gateway_id = g.id) AS readings
                   FROM gateways g ORDER BY g.id""",
            )
        )
    )
