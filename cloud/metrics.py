"""Prometheus metrics of the cloud service, in a registry per app instance."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram


@dataclass
class CloudMetrics:
    """Ingest rate, rejects by reason, store write latency and errors."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.readings = Counter("plantwatch_ingest_readings", "Readings stored", registry=r)
        self.batches = Counter(
            "plantwatch_ingest_batches", "Batches answered", ["result"], registry=r
        )
        self.rejects = Counter(
            "plantwatch_ingest_rejects", "Requests refused", ["reason"], registry=r
        )
        self.readings_rejected = Counter(
            "plantwatch_ingest_readings_rejected",
            "Readings of an accepted batch left out",
            ["reason"],
            registry=r,
        )
        self.write_seconds = Histogram(
            "plantwatch_store_write_seconds",
            "Time-series store write latency",
            registry=r,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.store_errors = Counter(
            "plantwatch_store_errors", "Store failures", ["operation"], registry=r
        )
