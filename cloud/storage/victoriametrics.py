"""VictoriaMetrics: written through influxdb-client, read through its Prometheus HTTP API.

VictoriaMetrics names a series ``<measurement>_<field>`` with the tags as labels. Reads pass
``nocache=1`` so data replayed from a gateway's spool after an outage is never hidden by a
cached answer for the same time range.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt
import orjson

from cloud.storage.base import Aggregate, Columns, Sample, SeriesTags, StoreUnavailable
from cloud.storage.buckets import per_bucket
from cloud.storage.influx_writer import InfluxWriter
from cloud.storage.line_protocol import QUALITY_SUFFIX

_ROLLUP = {
    "mean": "avg_over_time",
    "min": "min_over_time",
    "max": "max_over_time",
    "last": "last_over_time",
}
LATEST_LOOKBACK = timedelta(days=30)


def _regex(values: Sequence[str]) -> str:
    # Identifiers are [a-z0-9_.-]: only the dot is special in a regex. The backslash is
    # doubled because the regex sits inside a PromQL string literal.
    return "|".join(v.replace(".", "\\\\.") for v in sorted(set(values)))


def selector(assets: Sequence[SeriesTags], signals: Sequence[str] | None) -> str:
    """A series selector for the assets' signals (quality series included when signals is None)."""
    measurements = _regex([a.measurement for a in assets])
    names = f"({measurements})_({_regex(signals)})" if signals else f"({measurements})_.+"
    return f'{{asset=~"{_regex([a.asset for a in assets])}",__name__=~"{names}"}}'


def _split(name: str, assets: dict[str, SeriesTags], asset: str) -> str:
    return name[len(assets[asset].measurement) + 1 :]


class VictoriaMetricsStore(InfluxWriter):
    """Time series in VictoriaMetrics."""

    def __init__(
        self, url: str, token: str, org: str, bucket: str, timeout_s: float, gzip: bool = False
    ) -> None:
        super().__init__(url, token, org, bucket, timeout_s, gzip)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=self.url, timeout=timeout_s, headers=headers)

    def _get(
        self, path: str, params: dict[str, Any], headers: dict[str, str] | None = None
    ) -> httpx.Response:
        try:
            rsp = self.http.get(path, params=params, headers=headers)
        except httpx.HTTPError as exc:
            raise StoreUnavailable(f"VictoriaMetrics unreachable: {exc}") from exc
        if rsp.status_code != 200:
            raise StoreUnavailable(f"VictoriaMetrics answered {rsp.status_code}: {rsp.text[:200]}")
        return rsp

    def _query(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        body = orjson.loads(self._get(path, {**params, "nocache": 1}).content)
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def _export(self, sel: str, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        rsp = self._get(
            "/api/v1/export",
            {
                "match[]": sel,
                "start": start.timestamp(),
                "end": (end - timedelta(milliseconds=1)).timestamp(),
            },
            # A fleet's windows are hundreds of MB of JSON: compressing them costs both ends
            # more CPU than the bytes cost the network between a cloud and its store.
            {"Accept-Encoding": "identity"},
        )
        for line in rsp.content.splitlines():
            if line:
                yield orjson.loads(line)

    def latest(self, assets: Sequence[SeriesTags], at: datetime | None = None) -> list[Sample]:
        """Newest value of every series within 30 days before ``at``."""
        if not assets:
            return []
        by_asset = {a.asset: a for a in assets}
        at_s = (at or datetime.now(UTC)).timestamp()
        lookback = f"{int(LATEST_LOOKBACK.total_seconds())}s"
        sel = selector(assets, None)
        result = self._query(
            "/api/v1/query",
            {"query": f"last_over_time({sel}[{lookback}]) keep_metric_names", "time": at_s},
        )
        times = self._query(
            "/api/v1/query",
            {"query": f"tlast_over_time({sel}[{lookback}]) keep_metric_names", "time": at_s},
        )
        when = {
            (r["metric"]["asset"], r["metric"]["__name__"]): float(r["value"][1]) for r in times
        }
        values: dict[tuple[str, str], tuple[float, float | None]] = {}
        flags: dict[tuple[str, str], tuple[float, int]] = {}
        for r in result:
            asset, name = r["metric"]["asset"], r["metric"]["__name__"]
            signal = _split(name, by_asset, asset)
            ts, value = when.get((asset, name), at_s), float(r["value"][1])
            if signal.endswith(QUALITY_SUFFIX):
                flags[(asset, signal.removesuffix(QUALITY_SUFFIX))] = (ts, int(value))
            else:
                values[(asset, signal)] = (ts, value)
        out = []
        for key in sorted(values.keys() | flags.keys()):
            v_ts, v = values.get(key, (float("-inf"), None))
            q_ts, quality = flags.get(key, (float("-inf"), 0))
            if q_ts > v_ts:  # the newest reading carried flags and no value
                out.append(Sample(*key, datetime.fromtimestamp(q_ts, UTC), None, quality))
            else:
                out.append(
                    Sample(
                        *key, datetime.fromtimestamp(v_ts, UTC), v, quality if q_ts == v_ts else 0
                    )
                )
        return out

    def window(
        self,
        assets: Sequence[SeriesTags],
        signals: Sequence[str] | None,
        start: datetime,
        end: datetime,
        step_s: int | None = None,
        aggregate: Aggregate = "mean",
    ) -> list[Sample]:
        """Raw samples via export, or one aggregate per bucket ``[b, b + step)`` via query_range."""
        if not assets:
            return []
        by_asset = {a.asset: a for a in assets}
        if step_s is None:
            return self._raw(by_asset, selector(assets, signals), start, end)
        # A rollup at t covers (t - step, t]; evaluating at bucket end - 1 ms covers [b, b + step).
        first = start.timestamp() // step_s * step_s
        result = self._query(
            "/api/v1/query_range",
            {
                "query": f"{_ROLLUP[aggregate]}({selector(assets, signals)}[{step_s}s])"
                " keep_metric_names",
                "start": first + step_s - 0.001,
                "end": end.timestamp() - 0.001,
                "step": f"{step_s}s",
            },
        )
        out = []
        for r in result:
            asset = r["metric"]["asset"]
            signal = _split(r["metric"]["__name__"], by_asset, asset)
            if signal.endswith(QUALITY_SUFFIX):
                continue
            for t, v in r["values"]:
                bucket = datetime.fromtimestamp(round(float(t) + 0.001) - step_s, UTC)
                out.append(Sample(asset, signal, bucket, float(v)))
        out.sort(key=lambda s: (s.asset, s.signal, s.ts))
        return out

    def window_columns(
        self,
        assets: Sequence[SeriesTags],
        start: datetime,
        end: datetime,
        step_s: int,
        aggregate: Aggregate = "last",
    ) -> Columns:
        """Aggregates per step as columns: the raw samples exported (one array per series,
        no object per sample), bucketed in numpy the way ``window`` buckets them."""
        by_asset = {a.asset: a for a in assets}
        keys: dict[tuple[str, str], int] = {}
        blocks: list[tuple[int, npt.NDArray[np.int64], npt.NDArray[np.float64]]] = []
        if assets:
            for line in self._export(selector(assets, None), start, end):
                asset = line["metric"]["asset"]
                signal = _split(line["metric"]["__name__"], by_asset, asset)
                if not signal.endswith(QUALITY_SUFFIX):
                    k = keys.setdefault((asset, signal), len(keys))
                    ts = np.asarray(line["timestamps"], dtype=np.int64)
                    blocks.append((k, ts, np.asarray(line["values"], dtype=np.float64)))
        # Each line is one block of one series in time order; blocks in series order spare
        # the bucketing a sort in the usual case.
        blocks.sort(key=lambda b: (b[0], b[1][0] if len(b[1]) else 0))
        sid = np.concatenate(
            [np.zeros(0, np.int64)] + [np.full(len(b[1]), b[0], np.int64) for b in blocks]
        )
        ts = np.concatenate([np.zeros(0, np.int64)] + [b[1] for b in blocks])
        value = np.concatenate([np.zeros(0)] + [b[2] for b in blocks])
        index, bucket, out = per_bucket(sid, ts, value, step_s * 1000, aggregate)
        return Columns(list(keys), index, bucket, out)

    def _raw(
        self, by_asset: dict[str, SeriesTags], sel: str, start: datetime, end: datetime
    ) -> list[Sample]:
        values: dict[tuple[str, str], dict[int, float]] = {}
        quality: dict[tuple[str, str], dict[int, int]] = {}
        for line in self._export(sel, start, end):
            asset = line["metric"]["asset"]
            signal = _split(line["metric"]["__name__"], by_asset, asset)
            if signal.endswith(QUALITY_SUFFIX):
                quality[(asset, signal.removesuffix(QUALITY_SUFFIX))] = dict(
                    zip(line["timestamps"], (int(v) for v in line["values"]), strict=True)
                )
            else:
                values.setdefault((asset, signal), {}).update(
                    zip(line["timestamps"], line["values"], strict=True)
                )
        # A flagged reading without a value is stored as its quality field alone.
        for key, flags in quality.items():
            series = values.setdefault(key, {})
            for ts in flags:
                series.setdefault(ts, float("nan"))
        out = []
        for (asset, signal), series in sorted(values.items()):
            flags = quality.get((asset, signal), {})
            for ts in sorted(series):
                v = series[ts]
                out.append(
                    Sample(
                        asset,
                        signal,
                        datetime.fromtimestamp(ts / 1000, UTC),
                        None if v != v else float(v),
                        flags.get(ts, 0),
                    )
                )
        return out

    def ping(self) -> bool:
        """True when VictoriaMetrics reports healthy."""
        try:
            return self.http.get("/health").status_code == 200
        except httpx.HTTPError:
            return False

    def close(self) -> None:
        """Close both clients."""
        self.http.close()
        super().close()
