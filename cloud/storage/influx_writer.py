"""Writes through influxdb-client's v2 write API, to InfluxDB 2.x/3.x or VictoriaMetrics.

Schema: one measurement per asset class; tags asset, building, room, site (low cardinality:
one series per asset and signal); one field per signal, plus ``<signal>_quality`` (an integer
bit set) only when a reading is flagged. Timestamps in milliseconds. A resent point has the
same series and time, so InfluxDB overwrites it and VictoriaMetrics (run with
``-dedup.minScrapeInterval=1ms``) keeps one copy.
"""

from __future__ import annotations

from typing import cast

from influxdb_client.client.influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.domain.write_precision import WritePrecision
from influxdb_client.rest import ApiException
from urllib3.exceptions import HTTPError

from cloud.storage.base import Rows, SeriesTags, StoreUnavailable
from cloud.storage.line_protocol import to_line_protocol

MILLISECONDS = cast(WritePrecision, WritePrecision.MS)  # the library types its constants as str


class InfluxWriter:
    """The write half shared by the InfluxDB and VictoriaMetrics stores."""

    def __init__(
        self, url: str, token: str, org: str, bucket: str, timeout_s: float, gzip: bool = False
    ) -> None:
        self.url = url.rstrip("/")
        self.org, self.bucket = org, bucket
        # influxdb-client compresses at level 9: worth it across a WAN, a CPU sink on a LAN.
        self.client = InfluxDBClient(
            url=self.url,
            token=token or "none",
            org=org,
            timeout=int(timeout_s * 1000),
            enable_gzip=gzip,
        )
        self._write_api = self.client.write_api(write_options=SYNCHRONOUS)

    def write_lines(self, payload: str | bytes) -> None:
        """Send line protocol; returns once the server acknowledged it."""
        if not payload:
            return
        try:
            self._write_api.write(
                bucket=self.bucket,
                org=self.org,
                record=payload,
                write_precision=MILLISECONDS,
            )
        except ApiException as exc:
            raise StoreUnavailable(
                f"time-series store answered {exc.status}: {exc.body!r}"
            ) from exc
        except (HTTPError, OSError) as exc:
            raise StoreUnavailable(f"time-series store unreachable: {exc}") from exc

    def write(self, tags: dict[str, SeriesTags], rows: Rows) -> None:
        """Store readings; raise StoreUnavailable when the server does not acknowledge."""
        self.write_lines(to_line_protocol(tags, rows))

    def close(self) -> None:
        """Close the client."""
        self.client.close()
