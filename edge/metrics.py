"""Prometheus metrics of the gateway."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass
class EdgeMetrics:
    """Readings polled, flagged and dropped; spool depth; uplink latency; device status."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.polled = Counter(
            "plantwatch_gateway_readings_acquired", "Readings acquired", registry=r
        )
        self.flagged = Counter(
            "plantwatch_gateway_readings_flagged", "Readings flagged", ["flag"], registry=r
        )
        self.suppressed = Counter(
            "plantwatch_gateway_readings_suppressed", "Readings not reported (deadband)", registry=r
        )
        self.repeated = Counter(
            "plantwatch_gateway_samples_repeated",
            "Polls that found a device's last sample again (its clock had not moved): not "
            "reported twice",
            ["asset"],
            registry=r,
        )
        self.spooled = Counter(
            "plantwatch_gateway_readings_spooled", "Readings committed to the spool", registry=r
        )
        self.dropped = Counter(
            "plantwatch_gateway_readings_dropped",
            "Readings dropped by the spool's overflow policy",
            ["reason"],
            registry=r,
        )
        self.refused = Counter(
            "plantwatch_gateway_readings_refused",
            "Readings refused: by the gateway's admission (reason) or by the cloud (cloud)",
            ["reason"],
            registry=r,
        )
        self.sent = Counter(
            "plantwatch_gateway_readings_sent", "Readings the cloud acknowledged", registry=r
        )
        self.spool_depth = Gauge("plantwatch_gateway_spool_depth", "Readings waiting", registry=r)
        self.spool_writable = Gauge(
            "plantwatch_gateway_spool_writable", "0 while the spool cannot be written", registry=r
        )
        self.spool_oldest = Gauge(
            "plantwatch_gateway_spool_oldest_seconds",
            "Age of the oldest waiting reading",
            registry=r,
        )
        self.uplink_seconds = Histogram(
            "plantwatch_gateway_uplink_seconds", "Batch round trip to the cloud", registry=r
        )
        self.uplink_errors = Counter(
            "plantwatch_gateway_uplink_errors", "Uplink failures", ["kind"], registry=r
        )
        self.device_online = Gauge(
            "plantwatch_gateway_device_online", "1 when answering", ["asset"], registry=r
        )
        self.device_errors = Counter(
            "plantwatch_gateway_device_errors",
            "Device (Modbus, BACnet) failures by kind",
            ["asset", "kind"],
            registry=r,
        )
        self.poll_seconds = Histogram(
            "plantwatch_gateway_poll_seconds", "Time to poll one device", ["link"], registry=r
        )
        self.bacnet_requests = Counter(
            "plantwatch_gateway_bacnet_requests",
            "BACnet confirmed requests sent, by service",
            ["network", "service"],
            registry=r,
        )
        self.cov_notifications = Counter(
            "plantwatch_gateway_bacnet_cov_notifications",
            "Change-of-value notifications received",
            ["network"],
            registry=r,
        )
        self.mqtt_messages = Counter(
            "plantwatch_gateway_mqtt_messages", "MQTT messages", ["source", "result"], registry=r
        )
        self.alarms = Counter(
            "plantwatch_gateway_alarms", "Local alarm events", ["rule", "state"], registry=r
        )
        self.reloads = Counter(
            "plantwatch_gateway_config_reloads", "Config reloads", ["result"], registry=r
        )
