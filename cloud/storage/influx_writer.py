"""Writes through influxdb-client's v2 write API, to InfluxDB 2.x/3.x or VictoriaMetrics.

Schema: one measurement per asset class; tags asset, building, room, site (low cardinality:
one series per asset and signal); one field per signal, plus ``<signal>_quality`` (an integer
bit set) only when a reading is flagged. Timestamps in milliseconds. A resent point has the
same series and time, so InfluxDB overwrites it and VictoriaMetrics (run with
``-dedup.minScrapeInterval=1ms``) keeps one copy.
"""

from __future__ import annotations

from collections.abc import Sequence

from influxdb_client.client.influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException
from urllib3.exceptions import HTTPError

from cloud.storage.base import SeriesTags, StoreUnavailable
from plantwatch.contract import Reading

QUALITY_SUFFIX = "_quality"


def series_prefix(tags: SeriesTags) -> str:
    """Measurement and tag set of a line, tags in key order (InfluxDB's fast path).

    Identifiers are restricted to [a-z0-9_.-] by the data contract, so nothing needs escaping.
    """
    return (
        f"{tags.measurement},asset={tags.asset},building={tags.building},"
        f"room={tags.room},site={tags.site}"
    )


def to_line_protocol(tags: dict[str, SeriesTags], readings: Sequence[Reading]) -> str:
    """InfluxDB line protocol for readings, one line per reading, millisecond timestamps."""
    prefixes = {asset: series_prefix(t) for asset, t in tags.items()}
    lines = []
    for r in readings:
        fields = [] if r.value is None else [f"{r.signal}={r.value!r}"]
        if r.quality:
            fields.append(f"{r.signal}{QUALITY_SUFFIX}={r.quality}i")
        if fields:
            lines.append(f"{prefixes[r.asset]} {','.join(fields)} {round(r.ts.timestamp() * 1000)}")
    return "\n".join(lines)


class InfluxWriter:
    """The write half shared by the InfluxDB and VictoriaMetrics stores."""

    def __init__(self, url: str, token: str, org: str, bucket: str, timeout_s: float) -> None:
        self.url = url.rstrip("/")
        self.org, self.bucket = org, bucket
        self.client = InfluxDBClient(
            url=self.url,
            token=token or "none",
            org=org,
            timeout=int(timeout_s * 1000),
            enable_gzip=True,
        )
        self._write_api = self.client.write_api(write_options=SYNCHRONOUS)

    def write_lines(self, payload: str) -> None:
        """Send line protocol; returns once the server acknowledged it."""
        if not payload:
            return
        try:
            self._write_api.write(
                bucket=self.bucket,
                org=self.org,
                record=payload,
                write_precision="ms",  # type: ignore[arg-type]
            )
        except ApiException as exc:
            raise StoreUnavailable(
                f"time-series store answered {exc.status}: {exc.body!r}"
            ) from exc
        except (HTTPError, OSError) as exc:
            raise StoreUnavailable(f"time-series store unreachable: {exc}") from exc

    def write(self, tags: dict[str, SeriesTags], readings: Sequence[Reading]) -> None:
        """Store readings; raise StoreUnavailable when the server does not acknowledge."""
        self.write_lines(to_line_protocol(tags, readings))

    def close(self) -> None:
        """Close the client."""
        self.client.close()
