"""InfluxDB 2.x (and 3.x through its v2 compatibility API): writes and Flux reads."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from influxdb_client.rest import ApiException
from urllib3.exceptions import HTTPError

from cloud.storage.base import (
    Aggregate,
    ColumnsFromSamples,
    Sample,
    SeriesTags,
    StoreUnavailable,
)
from cloud.storage.influx_writer import InfluxWriter
from cloud.storage.line_protocol import QUALITY_SUFFIX

LATEST_LOOKBACK = timedelta(days=30)
_FN = {"mean": "mean", "min": "min", "max": "max", "last": "last"}


def _set(values: Sequence[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in sorted(set(values))) + "]"


def _rfc(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class InfluxDBStore(ColumnsFromSamples, InfluxWriter):
    """Time series in an InfluxDB bucket."""

    def _flux(self, query: str) -> list[tuple[str, str, datetime, float | None]]:
        try:
            tables = self.client.query_api().query(query, org=self.org)
        except ApiException as exc:
            raise StoreUnavailable(f"InfluxDB answered {exc.status}: {exc.body!r}") from exc
        except (HTTPError, OSError) as exc:
            raise StoreUnavailable(f"InfluxDB unreachable: {exc}") from exc
        return [
            (rec.values["asset"], rec.get_field(), rec.get_time(), rec.get_value())
            for table in tables
            for rec in table.records
        ]

    def _base(self, assets: Sequence[SeriesTags], start: datetime, end: datetime) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", self.bucket):
            raise ValueError(f"bucket name {self.bucket!r} is not safe to quote")
        return (
            f'from(bucket: "{self.bucket}")'
            f" |> range(start: {_rfc(start)}, stop: {_rfc(end)})"
            f" |> filter(fn: (r) => contains(value: r._measurement, set: "
            f"{_set([a.measurement for a in assets])}))"
            " |> filter(fn: (r) => contains(value: r.asset, set: "
            f"{_set([a.asset for a in assets])}))"
        )

    def _samples(self, rows: list[tuple[str, str, datetime, float | None]]) -> list[Sample]:
        quality = {
            (a, f.removesuffix(QUALITY_SUFFIX), t): int(v or 0)
            for a, f, t, v in rows
            if f.endswith(QUALITY_SUFFIX)
        }
        return sorted(
            (
                Sample(a, f, t, None if v is None else float(v), quality.get((a, f, t), 0))
                for a, f, t, v in rows
                if not f.endswith(QUALITY_SUFFIX)
            ),
            key=lambda s: (s.asset, s.signal, s.ts),
        )

    def latest(self, assets: Sequence[SeriesTags], at: datetime | None = None) -> list[Sample]:
        """Newest value of every field within 30 days before ``at``."""
        if not assets:
            return []
        end = (at or datetime.now(UTC)) + timedelta(milliseconds=1)
        return self._samples(
            self._flux(self._base(assets, end - LATEST_LOOKBACK, end) + " |> last()")
        )

    def window(
        self,
        assets: Sequence[SeriesTags],
        signals: Sequence[str] | None,
        start: datetime,
        end: datetime,
        step_s: int | None = None,
        aggregate: Aggregate = "mean",
    ) -> list[Sample]:
        """Raw values, or one aggregate per window starting at each bucket."""
        if not assets:
            return []
        q = self._base(assets, start, end)
        if signals:
            q += f" |> filter(fn: (r) => contains(value: r._field, set: {_set(signals)}))"
        if step_s is not None:
            q += (
                " |> filter(fn: (r) => r._field !~ /_quality$/)"
                f" |> aggregateWindow(every: {step_s}s, fn: {_FN[aggregate]},"
                ' createEmpty: false, timeSrc: "_start")'
            )
        return self._samples(self._flux(q))

    def ping(self) -> bool:
        """True when InfluxDB reports ready."""
        try:
            return bool(self.client.ping())
        except Exception:
            return False
