"""The scorer's columnar read, bucketed in numpy, equals each store's own aggregation.

Readings arrive out of order, several to a bucket, some without a value and some resent;
every aggregate of ``window_columns`` is compared with the store's per-sample ``window``
(SQLite's GROUP BY; VictoriaMetrics' rollups) on the embedded store and a real
VictoriaMetrics.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from cloud.storage.base import Columns, Rows, SeriesTags, TimeSeriesStore, columns_of
from cloud.storage.buckets import per_bucket
from cloud.storage.embedded import EmbeddedStore
from cloud.storage.victoriametrics import VictoriaMetricsStore
from kernel.contract import Batch, Reading
from tests.cloud.conftest import vm_settle
from tests.servers import victoria_metrics

T0 = 1_750_000_200  # not on a bucket boundary
TAGS = {
    a: SeriesTags(cls, "north", "b1", "plant", a)
    for a, cls in (("p1", "pump"), ("p2", "pump"), ("ch-1", "chiller"))
}


def _readings(seed: int) -> list[Reading]:
    rng = random.Random(seed)
    out = []
    for asset in TAGS:
        for signal in ("flow", "temp"):
            for k in range(60):  # about three readings a bucket over an hour
                value = None if rng.random() < 0.1 else round(rng.uniform(-50, 50), 3)
                ts = (T0 + 60 * k + rng.randrange(60)) * 1000
                out.append(Reading(asset, signal, ts, value, 1 if value is None else 0))
    rng.shuffle(out)
    return out


def _as_set(c: Columns) -> dict[tuple[str, str, int], float]:
    return {
        (*c.series[i], int(t)): float(v)
        for i, t, v in zip(c.index.tolist(), c.ts_ms.tolist(), c.value.tolist(), strict=True)
    }


def _compare(store: TimeSeriesStore) -> None:
    start = datetime.fromtimestamp(T0 - 300, UTC)
    end = datetime.fromtimestamp(T0 + 3600, UTC)
    assets = list(TAGS.values())
    for aggregate in ("last", "mean", "min", "max"):
        fast = _as_set(store.window_columns(assets, start, end, 600, aggregate))
        slow = _as_set(columns_of(store.window(assets, None, start, end, 600, aggregate)))
        assert fast.keys() == slow.keys(), aggregate
        assert len(fast) >= 3 * 2 * 6
        for key, v in fast.items():
            assert v == pytest.approx(slow[key], rel=1e-12, abs=1e-9), (aggregate, key)


@pytest.mark.integration
def test_embedded_and_victoriametrics_agree_with_their_own_aggregation(tmp_path: Path) -> None:
    readings = _readings(3)
    half = len(readings) // 2
    embedded = EmbeddedStore(tmp_path / "ts.db")
    with victoria_metrics(tmp_path / "vm") as vm:
        remote = VictoriaMetricsStore(vm.url, "", "org", "bucket", 10)
        for store in (embedded, remote):
            store.write(TAGS, Rows.of(Batch.of("gw", "a", readings[:half])))
            store.write(TAGS, Rows.of(Batch.of("gw", "b", readings[half:])))
            store.write(TAGS, Rows.of(Batch.of("gw", "a", readings[:half])))  # resent
        vm_settle(vm.url)
        _compare(embedded)
        _compare(remote)
        remote.close()
    embedded.close()


def test_per_bucket_in_any_order_matches_a_plain_loop() -> None:
    rng = np.random.default_rng(5)
    n = 2000
    series = rng.integers(0, 7, n)
    ts = rng.integers(0, 50_000, n)
    value = np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n))
    step = 1000
    for aggregate in ("last", "mean", "min", "max"):
        sid, bucket, out = per_bucket(series, ts, value, step, aggregate)
        groups: dict[tuple[int, int], list[tuple[int, float]]] = {}
        for s, t, v in zip(series.tolist(), ts.tolist(), value.tolist(), strict=True):
            if v == v:
                groups.setdefault((s, t // step * step), []).append((t, v))
        want = {
            k: {
                "last": max(g, key=lambda p: p[0])[1],
                "mean": sum(v for _, v in g) / len(g),
                "min": min(v for _, v in g),
                "max": max(v for _, v in g),
            }[aggregate]
            for k, g in groups.items()
        }
        got = dict(zip(zip(sid.tolist(), bucket.tolist(), strict=True), out.tolist(), strict=True))
        assert list(got) == sorted(want)  # series, then time, order
        for k, v in want.items():
            assert got[k] == pytest.approx(v, rel=1e-12), (aggregate, k)
