"""Cloud settings from environment variables (PLANTWATCH_*) and an optional .env file."""

from __future__ import annotations

import difflib
import importlib.util
import os
from collections.abc import Mapping
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cloud.clock import Clock
from kernel.contract import MAX_CLOCK_SKEW_S, MAX_READING_AGE_DAYS

DEV_SECRET = "development-only-secret-change-me"
PREFIX = "PLANTWATCH_"
# PLANTWATCH_* variables that other parts read (Grafana's provisioning, `plantwatch grafana`),
# so a shared environment file may hold them.
OTHER_PARTS = frozenset({"PLANTWATCH_GRAFANA_PG_PASSWORD"})


class Environment(StrEnum):
    """Where the service runs; production refuses unsafe defaults."""

    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Everything the cloud service can be told, with embedded single-machine defaults."""

    model_config = SettingsConfigDict(
        env_prefix="PLANTWATCH_", env_file=".env", extra="forbid", frozen=True
    )

    environment: Environment = Environment.DEVELOPMENT
    secret_key: str = Field(default=DEV_SECRET, min_length=16, description="Peppers token hashes")
    database_url: str = Field(default="sqlite:///./plantwatch.db", description="SQLAlchemy URL")
    tsdb_url: str | None = Field(
        default=None, description="InfluxDB 2.x/3.x or VictoriaMetrics base URL; unset: embedded"
    )
    tsdb_kind: Literal["influxdb", "victoriametrics"] = "victoriametrics"
    tsdb_token: str = ""
    tsdb_org: str = "plantwatch"
    tsdb_bucket: str = "plantwatch"
    tsdb_timeout_s: float = Field(default=10.0, gt=0)
    tsdb_gzip: bool = Field(default=False, description="Compress writes (for a distant TSDB)")
    embedded_tsdb_path: str = Field(default="./plantwatch-ts.db", description="SQLite file")
    max_body_bytes: int = Field(default=8 * 1024 * 1024, gt=0, description="Compressed body limit")
    max_decompressed_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    max_batch_readings: int = Field(default=50_000, gt=0)
    max_reading_age_days: float = Field(default=MAX_READING_AGE_DAYS, gt=0)
    max_clock_skew_s: float = Field(
        default=MAX_CLOCK_SKEW_S, ge=0, description="Future timestamps allowed"
    )
    retry_after_s: int = Field(default=5, ge=1)
    escalation_check_s: float = Field(
        default=30.0, gt=0, description="How often unanswered work orders are checked"
    )
    checker_lease_s: float = Field(
        default=60.0,
        gt=0,
        description="Of several workers running the checker, one acts; another takes over "
        "this long after it stops renewing",
    )
    background: bool = Field(
        default=True,
        description="Run the checker and the scorer in the API process (false: workers do)",
    )
    model_registry: str | None = Field(
        default=None, description="Model registry folder; unset: no scoring in this process"
    )
    scoring_interval_s: float = Field(default=60.0, gt=0, description="How often assets are scored")
    scoring_settle_s: float = Field(
        default=30.0,
        ge=0,
        description="Wall seconds readings are given to arrive: a round scores the instant "
        "this long ago, so readings still on their way do not change a verdict",
    )
    retrain_every_days: float = Field(
        default=0.0, ge=0, description="Retrain on the stored history this often (0: never)"
    )
    retrain_history_days: float = Field(
        default=365.0, gt=0, description="Days of history a retraining round exports"
    )
    scoring_partition: str = Field(
        default="0/1",
        pattern=r"^\d+/[1-9]\d*$",
        description="index/count: this process scores the assets hashed to its partition",
    )
    warning_close_after: int = Field(
        default=6, ge=1, description="Low-risk evaluations in a row that close a warning"
    )
    clock_sim_origin: float | None = Field(
        default=None, description="Simulated clock (demos, tests): epoch s at clock_wall_origin"
    )
    clock_wall_origin: float = Field(default=0.0, description="Wall epoch s of clock_sim_origin")
    clock_speed: float = Field(default=1.0, gt=0, description="Simulated seconds per wall second")
    alert_webhook_url: str | None = Field(
        default=None, description="Alertmanager-compatible webhook receiving alerts"
    )
    alert_smtp_host: str | None = Field(default=None, description="SMTP relay for e-mail alerts")
    alert_smtp_port: int = Field(default=25, ge=1, le=65535)
    alert_smtp_starttls: bool = Field(default=False, description="Upgrade with STARTTLS")
    alert_smtp_user: str = Field(default="", description="SMTP login (with STARTTLS)")
    alert_smtp_password: str = Field(default="", description="SMTP password")
    page_templates: str | None = Field(
        default=None, description="Folder of page_<language>.txt templates (else the built-in)"
    )
    page_link_minutes: int = Field(
        default=30, ge=1, le=1440, description="How long a message's acknowledge link works"
    )
    alert_email_from: str = "plantwatch@localhost"
    alert_email_to: str = Field(default="", description="Comma-separated recipients")
    alert_mqtt_host: str | None = Field(default=None, description="Broker for MQTT alerts")
    alert_mqtt_port: int = Field(default=1883, ge=1, le=65535)
    alert_mqtt_topic: str = "plantwatch/alerts"
    alert_mqtt_username: str = Field(default="", description="Alert broker login")
    alert_mqtt_password: str = Field(default="", description="Alert broker password")
    alert_mqtt_tls: bool = Field(default=False, description="TLS to the alert broker")
    alert_apprise_urls: str = Field(
        default="",
        description="Apprise URLs (Teams, Slack, ntfy, SMS gateways...), separated by spaces; "
        "needs the apprise extra",
    )
    alert_mqtt_ca_file: str | None = Field(default=None, description="CA of the alert broker")
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where people reach the web app: the base of the links in messages",
    )
    web_secure_cookies: bool = Field(
        default=True, description="Session cookies only over HTTPS (browsers allow loopback)"
    )
    upload_dir: str = Field(default="./plantwatch-uploads", description="Photos people attach")
    max_photo_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    site_timezone: str = Field(
        default="UTC", description="Time zone of cron rules in the preventive plan (IANA name)"
    )
    labour_rate_per_h: float = Field(
        default=0.0, ge=0, description="Labour cost per hour, in the register's currency"
    )
    replacement_years: float = Field(default=3.0, gt=0, le=50, description="Repair-cost window")
    replacement_share: float = Field(
        default=0.3, gt=0, le=10, description="Repairs over this share of the value: replace"
    )
    classes_dir: str = Field(
        default="",
        description="Site asset-class folders over the shipped catalogue, separated like PATH "
        "(read by every part from PLANTWATCH_CLASSES_DIR)",
    )

    @property
    def clock(self) -> Clock:
        """The wall clock, or the simulated one the clock_* settings describe."""
        return Clock(self.clock_sim_origin, self.clock_wall_origin, self.clock_speed)

    @property
    def partition(self) -> tuple[int, int]:
        """(index, count) of ``scoring_partition``."""
        index, count = (int(x) for x in self.scoring_partition.split("/"))
        return index, count

    @model_validator(mode="after")
    def _refuse_unknown_variables(self) -> Settings:
        problems = unknown_variables(os.environ)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> Settings:
        if self.environment is Environment.PRODUCTION and self.secret_key == DEV_SECRET:
            raise ValueError("PLANTWATCH_SECRET_KEY must be set in production")
        if self.checker_lease_s <= self.escalation_check_s:
            raise ValueError("checker_lease_s must be longer than escalation_check_s (renewal)")
        index, count = self.partition
        if index >= count:
            raise ValueError(f"scoring_partition {self.scoring_partition}: index must be < count")
        try:
            ZoneInfo(self.site_timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"site_timezone {self.site_timezone!r} is no IANA time zone") from exc
        if self.alert_apprise_urls.strip() and importlib.util.find_spec("apprise") is None:
            raise ValueError("alert_apprise_urls needs the apprise extra: pip install apprise")
        return self


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """Each PLANTWATCH_* variable no setting reads, with the nearest known name."""
    known = {PREFIX + name.upper() for name in Settings.model_fields} | OTHER_PARTS
    out = []
    for name in sorted(environ):
        if name.upper().startswith(PREFIX) and name.upper() not in known:
            near = difflib.get_close_matches(name.upper(), sorted(known), n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            out.append(f"unknown setting {name}{hint}")
    return out
