"""The gateway's configuration: one YAML file per gateway, parsed once into strict models."""

from __future__ import annotations

import ipaddress
from datetime import date
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from edge.bacnet_config import BacnetNetwork
from edge.config_parts import ClientTls, SignalSpec, Strict
from edge.modbus_config import Link
from edge.mqtt_config import MqttSource
from kernel.bacnet_profiles import BacnetProfile, load_bacnet_profiles
from kernel.catalogue import ClassName
from kernel.contract import Identifier
from kernel.profiles import DeviceProfile, load_profiles
from kernel.yaml_config import ConfigError, load_model, parse_yaml


class AssetConfig(Strict):
    """An asset this gateway serves; its signals come from its devices and MQTT mappings."""

    id: Identifier
    building: Identifier
    room: Identifier
    asset_class: ClassName
    model: str
    install_date: date
    signals: dict[Identifier, SignalSpec] = Field(
        default_factory=dict, description="Signals not described by a device profile (MQTT)"
    )


class ReportRule(Strict):
    """Report by exception: what change is worth sending, and how often at least."""

    asset: Identifier | None = None
    asset_class: ClassName | None = None
    signal: Identifier | None = None
    deadband_abs: float | None = Field(default=None, ge=0)
    deadband_pct: float | None = Field(default=None, ge=0)
    min_interval_s: float = Field(default=0.0, ge=0)
    max_interval_s: float = Field(default=300.0, gt=0)

    def matches(self, asset: str, asset_class: str, signal: str) -> bool:
        """True when this rule applies to the signal."""
        return (
            (self.asset is None or self.asset == asset)
            and (self.asset_class is None or self.asset_class == asset_class)
            and (self.signal is None or self.signal == signal)
        )


class AlarmRule(Strict):
    """A local alarm: a threshold with hysteresis and a delay."""

    name: Identifier
    signal: Identifier
    asset: Identifier | None = None
    asset_class: ClassName | None = None
    above: float | None = None
    below: float | None = None
    hysteresis: float = Field(default=0.0, ge=0, description="Clear this far back inside")
    delay_s: float = Field(default=0.0, ge=0, description="Condition must hold this long")
    severity: Literal["info", "warning", "critical"] = "warning"

    @model_validator(mode="after")
    def _one_threshold(self) -> AlarmRule:
        if (self.above is None) == (self.below is None):
            raise ValueError("set exactly one of above or below")
        return self

    def matches(self, asset: str, asset_class: str, signal: str) -> bool:
        """True when this rule watches the signal."""
        return (
            self.signal == signal
            and (self.asset is None or self.asset == asset)
            and (self.asset_class is None or self.asset_class == asset_class)
        )


class ValidateConfig(Strict):
    """Sensor-fault checks."""

    stuck_count: int = Field(default=30, ge=0, description="Identical values in a row; 0: off")
    spike_mads: float = Field(default=12.0, gt=0, description="Jump, in robust deviations")
    spike_warmup: int = Field(default=20, ge=3)


class AnomalyConfig(Strict):
    """The streaming anomaly score."""

    threshold: float = Field(default=6.0, gt=0)
    alpha: float = Field(default=0.02, gt=0, lt=1, description="EWMA weight of a new value")
    warmup: int = Field(default=30, ge=1)


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
StageName = Literal["validate", "anomaly", "deadband", "local_alarm"]
DEFAULT_STAGES: tuple[StageName, ...] = ("validate", "anomaly", "local_alarm", "deadband")


class UplinkConfig(ClientTls):
    """Where and how batches go to the cloud."""

    url: str
    token: str | None = None
    token_file: Path | None = None
    allow_plain_http: bool = Field(
        default=False,
        description="Allow http:// to a cloud outside this machine (the token "
        "then crosses the network in clear)",
    )
    batch_max: int = Field(default=5000, ge=1, le=50_000, description="Readings per batch")
    backlog_batch_max: int = Field(
        default=20_000,
        ge=1,
        le=50_000,
        description="Readings per batch while a backlog of over two batches waits",
    )
    encoding: Literal["auto", "json"] = Field(
        default="auto",
        description="auto: packed columns to a cloud that reads them (its manifest answer "
        "says so), JSON otherwise; json: always JSON (readable in a packet capture)",
    )
    interval_s: float = Field(default=1.0, gt=0)
    timeout_s: float = Field(default=30.0, gt=0)
    backoff_initial_s: float = Field(default=1.0, gt=0)
    backoff_max_s: float = Field(default=300.0, gt=0)
    historical_after_s: float = Field(
        default=60.0, gt=0, description="Batches that waited longer are marked historical"
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"{url!r} is not an http:// or https:// URL with a host (e.g. https://cloud:8000)"
            )
        return url

    @model_validator(mode="after")
    def _one_token(self) -> UplinkConfig:
        if (self.token is None) == (self.token_file is None):
            raise ValueError("set exactly one of token or token_file")
        parts = urlsplit(self.url)
        if parts.scheme == "http" and not self.allow_plain_http and not _loopback(parts.hostname):
            raise ValueError(
                f"{self.url}: http:// outside this machine sends the token in clear; use "
                "https:// (with ca_file for a private CA) or set allow_plain_http: true"
            )
        return self

    def secret(self) -> str:
        """The gateway token."""
        if self.token is not None:
            return self.token
        assert self.token_file is not None
        return self.token_file.read_text().strip()


class SpoolConfig(Strict):
    """The durable buffer between stages and uplink."""

    path: Path
    max_readings: int = Field(default=20_000_000, ge=1000)
    max_age_days: float = Field(default=30.0, gt=0)
    overflow: Literal["drop_oldest", "drop_newest"] = "drop_oldest"
    synchronous: Literal["full", "normal"] = Field(
        default="full", description="full: survives power loss; normal: survives crashes"
    )
    commit_every_s: float = Field(
        default=0.25,
        ge=0,
        le=5,
        description="Readings that arrive within this span are committed together",
    )


class HealthConfig(Strict):
    """The local health and metrics endpoint."""

    host: str = "127.0.0.1"
    port: int = Field(default=9108, ge=0, le=65535)


class GatewayConfig(Strict):
    """One gateway."""

    id: Identifier
    site: Identifier
    profiles_dir: Path = Field(default=Path("profiles"), description="Relative to this file")
    assets: list[AssetConfig] = Field(min_length=1)
    links: list[Link] = Field(default_factory=list)
    mqtt: list[MqttSource] = Field(default_factory=list)
    bacnet: list[BacnetNetwork] = Field(default_factory=list, description="BACnet/IP networks")
    stages: list[StageName] = Field(default_factory=lambda: list(DEFAULT_STAGES))
    validate_: ValidateConfig = Field(default_factory=ValidateConfig, alias="validate")
    anomaly: AnomalyConfig = Field(default_factory=AnomalyConfig)
    report: list[ReportRule] = Field(default_factory=list, description="First match wins")
    alarms: list[AlarmRule] = Field(default_factory=list)
    uplink: UplinkConfig
    spool: SpoolConfig
    health: HealthConfig = Field(default_factory=HealthConfig)
    log_level: LogLevel = Field(default="INFO", description="`gateway run --log-level` overrides")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _references(self) -> GatewayConfig:
        ids = [a.id for a in self.assets]
        if len(set(ids)) != len(ids):
            raise ValueError("an asset id is listed twice")
        known = set(ids)
        for link in self.links:
            for d in link.devices:
                if d.asset not in known:
                    raise ValueError(f"link {link.name}: device of unknown asset {d.asset}")
        for net in self.bacnet:
            for b in net.devices:
                if b.asset not in known:
                    raise ValueError(f"bacnet {net.name}: device of unknown asset {b.asset}")
        if len(set(self.stages)) != len(self.stages):
            raise ValueError("a stage is listed twice")
        names = (
            [link.name for link in self.links]
            + [m.name for m in self.mqtt]
            + [n.name for n in self.bacnet]
        )
        if len(set(names)) != len(names):
            raise ValueError("link, MQTT source and BACnet network names must be unique")
        return self


class LoadedConfig(BaseModel):
    """A validated config with the device profiles it refers to."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    path: Path
    gateway: GatewayConfig
    profiles: dict[str, DeviceProfile]
    bacnet_profiles: dict[str, BacnetProfile] = {}


def load_config(path: Path) -> LoadedConfig:
    """Parse and check a gateway config; errors name the file, the line and the field."""
    gateway = load_model(path, GatewayConfig)
    profiles_dir = (path.parent / gateway.profiles_dir).resolve()
    profiles = load_profiles(profiles_dir)
    text = path.read_text(encoding="utf-8")
    _, lines = parse_yaml(text)
    problems: list[tuple[int | None, str, str]] = []
    for li, link in enumerate(gateway.links):
        for di, dev in enumerate(link.devices):
            where = ("links", li, "devices", di)
            profile = profiles.get(dev.profile)
            if profile is None:
                problems.append(
                    (
                        lines.get((*where, "profile")),
                        f"links[{li}].devices[{di}].profile",
                        f"no profile {dev.profile!r} in {profiles_dir}",
                    )
                )
                continue
            points = {p.name for p in profile.points}
            if dev.clock_point is not None and dev.clock_point not in points:
                problems.append(
                    (
                        lines.get((*where, "clock_point")),
                        f"links[{li}].devices[{di}].clock_point",
                        f"profile {dev.profile} has no point {dev.clock_point!r}",
                    )
                )
    bacnet_profiles = load_bacnet_profiles(profiles_dir)
    for ni, net in enumerate(gateway.bacnet):
        for di, bdev in enumerate(net.devices):
            if bdev.profile not in bacnet_profiles:
                problems.append(
                    (
                        lines.get(("bacnet", ni, "devices", di, "profile")),
                        f"bacnet[{ni}].devices[{di}].profile",
                        f"no BACnet profile {bdev.profile!r} in {profiles_dir}",
                    )
                )
    if problems:
        raise ConfigError(path, problems)
    return LoadedConfig(
        path=path, gateway=gateway, profiles=profiles, bacnet_profiles=bacnet_profiles
    )
