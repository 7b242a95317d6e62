"""The MQTT part of a gateway's configuration: brokers, subscriptions, payload mappings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from edge.config_parts import ClientTls, Strict
from kernel.contract import Identifier


class JsonField(Strict):
    """Where a signal sits in a JSON payload."""

    signal: Identifier
    path: str = Field(description="Dotted path into the JSON object, e.g. data.vib.rms")
    scale: float = 1.0
    offset: float = 0.0


class Subscription(Strict):
    """A topic filter and how to turn its messages into readings."""

    topic: str = Field(min_length=1)
    qos: Literal[0, 1, 2] = 1
    format: Literal["json", "plain"]
    asset_level: int = Field(ge=0, description="Topic level holding the asset id")
    signal_level: int | None = Field(default=None, ge=0, description="Plain: level of the signal")
    timestamp_path: str | None = Field(default="ts", description="JSON: RFC 3339 or epoch s/ms")
    fields: list[JsonField] = Field(default_factory=list, description="JSON: values to take")

    @model_validator(mode="after")
    def _check(self) -> Subscription:
        if self.format == "plain" and self.signal_level is None:
            raise ValueError("a plain subscription needs signal_level")
        if self.format == "json" and not self.fields:
            raise ValueError("a json subscription needs fields")
        return self


class MqttSource(ClientTls):
    """An MQTT broker and the subscriptions taken from it (TLS when a CA or a client
    certificate is given)."""

    name: Identifier
    host: str
    port: int = Field(default=1883, ge=1, le=65535)
    client_id: str
    username: str | None = None
    password: str | None = None
    keepalive_s: int = Field(default=30, ge=5)
    backoff_max_s: float = Field(default=60.0, gt=0)
    subscriptions: list[Subscription] = Field(min_length=1)
