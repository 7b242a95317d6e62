"""Query targets the foundation SDK has no builder for: SQL on the PostgreSQL data source."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants

VM = {"type": "prometheus", "uid": "plantwatch-vm"}
PG = {"type": "grafana-postgresql-datasource", "uid": "plantwatch-pg"}
INFLUX = {"type": "influxdb", "uid": "plantwatch-influx"}


@dataclass
class SqlQuery(cogvariants.Dataquery):
    """A raw SQL target (time series or table)."""

    sql: str
    ref_id: str = "A"
    fmt: Literal["table", "time_series"] = "table"

    def to_json(self) -> dict[str, Any]:
        """Grafana's JSON for the target."""
        return {
            "refId": self.ref_id,
            "datasource": PG,
            "editorMode": "code",
            "format": self.fmt,
            "rawQuery": True,
            "rawSql": self.sql,
        }


class Sql(cogbuilder.Builder[SqlQuery]):
    """Builder for ``SqlQuery``, usable wherever the SDK takes a query builder."""

    def __init__(self, sql: str, ref_id: str = "A", series: bool = False) -> None:
        self._q = SqlQuery(" ".join(sql.split()), ref_id, "time_series" if series else "table")

    def build(self) -> SqlQuery:
        """The query."""
        return self._q


@dataclass
class InfluxQuery(cogvariants.Dataquery):
    """A raw InfluxQL target."""

    query: str
    ref_id: str = "A"

    def to_json(self) -> dict[str, Any]:
        """Grafana's JSON for the target."""
        return {
            "refId": self.ref_id,
            "datasource": INFLUX,
            "query": self.query,
            "rawQuery": True,
            "resultFormat": "time_series",
        }


class InfluxQL(cogbuilder.Builder[InfluxQuery]):
    """Builder for ``InfluxQuery``."""

    def __init__(self, query: str, ref_id: str = "A") -> None:
        self._q = InfluxQuery(" ".join(query.split()), ref_id)

    def build(self) -> InfluxQuery:
        """The query."""
        return self._q
