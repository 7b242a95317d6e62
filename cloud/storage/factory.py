"""Pick the time-series store the settings ask for."""

from __future__ import annotations

from cloud.settings import Settings
from cloud.storage.base import TimeSeriesStore
from cloud.storage.embedded import EmbeddedStore
from cloud.storage.influxdb import InfluxDBStore
from cloud.storage.victoriametrics import VictoriaMetricsStore


def open_store(settings: Settings) -> TimeSeriesStore:
    """The configured store: InfluxDB or VictoriaMetrics when a URL is set, else embedded."""
    if settings.tsdb_url is None:
        return EmbeddedStore(settings.embedded_tsdb_path)
    cls = InfluxDBStore if settings.tsdb_kind == "influxdb" else VictoriaMetricsStore
    return cls(
        settings.tsdb_url,
        settings.tsdb_token,
        settings.tsdb_org,
        settings.tsdb_bucket,
        settings.tsdb_timeout_s,
        settings.tsdb_gzip,
    )
