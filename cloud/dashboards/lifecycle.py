"""The manager's board: local alarms, availability, lifecycle cost, replacement candidates.

Lifecycle figures come from the table the checker keeps (``asset_lifecycle``), computed by
the same code as the API's, so the board and the API always agree.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import timeseries

from cloud.dashboards.panels import (
    AMBER,
    GREEN,
    IN_SCOPE,
    PG_REF,
    RED,
    asset_link,
    board,
    coloured_column,
    scope_variables,
    stat_panel,
    steps,
    table_panel,
)
from cloud.dashboards.queries import Sql

LIFE = "asset_lifecycle l JOIN assets a ON a.id = l.asset_id"


def maintenance_and_lifecycle() -> dash.Dashboard:
    """What the plant costs, how available it is, and what to replace."""
    out = board(
        "plantwatch-lifecycle",
        "plantwatch: maintenance and lifecycle",
        "Local alarms, availability, lifecycle cost and replacement candidates",
    )
    for v in scope_variables():
        out = out.with_variable(v)
    return (
        out.with_panel(
            stat_panel(
                "Replacement candidates",
                f"SELECT count(*) AS assets FROM {LIFE} WHERE l.replace AND {IN_SCOPE}",
            ).thresholds(steps((None, GREEN), (1, AMBER)))
        )
        .with_panel(
            stat_panel(
                "Fleet availability (3 years)",
                "SELECT round((100.0 * avg(l.availability))::numeric, 2) AS pct"
                f" FROM {LIFE} WHERE {IN_SCOPE}",
                "percent",
            ).thresholds(steps((None, RED), (95.0, AMBER), (99.0, GREEN)))
        )
        .with_panel(
            stat_panel(
                "Maintenance cost, all assets",
                f"SELECT sum(l.maintenance_cost) AS cost FROM {LIFE} WHERE {IN_SCOPE}",
            )
        )
        .with_panel(
            stat_panel(
                "Local alarms raised",
                "SELECT count(*) AS alarms FROM alarm_events e JOIN assets a ON a.id = e.asset_id"
                f" WHERE e.state = 'raised' AND $__timeFilter(e.ts) AND {IN_SCOPE}",
            ).thresholds(steps((None, GREEN), (1, AMBER)))
        )
        .with_panel(
            timeseries.Panel()
            .title("Local alarms per hour, by severity")
            .datasource(PG_REF)
            .with_target(
                Sql(
                    f"""SELECT date_trunc('hour', e.ts) AS time, e.severity AS metric,
                       count(*) AS alarms FROM alarm_events e JOIN assets a ON a.id = e.asset_id
                       WHERE e.state = 'raised' AND $__timeFilter(e.ts) AND {IN_SCOPE}
                       GROUP BY 1, 2 ORDER BY 1""",
                    series=True,
                )
            )
            .span(8)
        )
        .with_panel(
            table_panel(
                "Replacement candidates",
                f"""SELECT l.asset_id AS asset, l.asset_class AS class, l.purchase_value AS
                   "purchase value", l.currency, l.recent_repair_cost AS "repairs, 3 years",
                   l.reason FROM {LIFE} WHERE l.replace AND {IN_SCOPE}
                   ORDER BY l.recent_repair_cost / nullif(l.purchase_value, 0) DESC""",
                w=16,
            ).override_by_name("asset", asset_link())
        )
        .with_panel(
            table_panel(
                "Availability and lifecycle cost per asset",
                f"""SELECT l.asset_id AS asset, l.asset_class AS class, a.site, a.building,
                   l.availability, l.downtime_h AS "downtime h", l.preventive, l.corrective,
                   l.repair_cost AS "repair cost", l.cost_per_year AS "cost per year",
                   l.computed_at AS "computed" FROM {LIFE} WHERE {IN_SCOPE}
                   ORDER BY l.availability, l.cost_per_year DESC NULLS LAST""",
                h=10,
            )
            .override_by_name("asset", asset_link())
            .override_by_name(
                *coloured_column("availability", (None, RED), (0.95, AMBER), (0.99, GREEN))
            )
        )
        .with_panel(
            table_panel(
                "Latest local alarms",
                f"""SELECT e.ts AS time, e.asset_id AS asset, e.rule, e.state, e.severity,
                   e.value, e.threshold, e.message FROM alarm_events e
                   JOIN assets a ON a.id = e.asset_id
                   WHERE $__timeFilter(e.ts) AND {IN_SCOPE} ORDER BY e.ts DESC LIMIT 200""",
            ).override_by_name("asset", asset_link())
        )
    )
