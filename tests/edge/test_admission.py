"""The cloud's acceptance rules at the edge: what the cloud would refuse is counted and left."""

from __future__ import annotations

from datetime import UTC, datetime

from edge.admission import Admission
from edge.config import load_config
from edge.manifest import build_manifest
from kernel.contract import Reading, epoch_ms
from simulators.gateway_configs import GATEWAY_CONFIG_DIR

NOW = epoch_ms(datetime(2026, 6, 1, tzinfo=UTC))


def test_readings_the_cloud_would_refuse_are_counted_and_dropped() -> None:
    manifest = build_manifest(load_config(GATEWAY_CONFIG_DIR / "north-library.yaml"))
    admission = Admission.of(manifest)
    asset = manifest.assets[0]
    signal = asset.signals[0].name
    good = Reading(asset.id, signal, NOW, 1.0)
    readings = [
        good,
        good._replace(asset="north-library-unknown-pump-9"),
        good._replace(signal="flux_capacitor"),
        good._replace(ts_ms=epoch_ms(datetime(2100, 1, 1, tzinfo=UTC))),
        good._replace(ts_ms=0),
        good._replace(ts_ms=NOW + 299_000),  # within the cloud's clock skew
        good._replace(ts_ms=NOW - 3000 * 86_400_000),  # eight years back: history, kept
    ]
    kept, refused = admission.apply(readings, NOW)
    assert kept == [readings[0], readings[5], readings[6]]
    assert refused == {"unknown_asset": 1, "unknown_signal": 1, "bad_timestamp": 2}
