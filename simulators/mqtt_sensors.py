"""Live MQTT sensors: wireless JSON sensors and cheap plain-number sensors (paho-mqtt 2.x)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from simulators.deployment import json_topic, plain_signals, plain_topic, published_json
from simulators.fleet import Asset


@dataclass(frozen=True)
class Message:
    """One MQTT publication."""

    topic: str
    payload: bytes


def iso(t: float) -> str:
    """An RFC 3339 UTC timestamp with milliseconds."""
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def json_message(
    asset: Asset, readings: Mapping[str, float], t: float, prefix: str = ""
) -> Message | None:
    """The JSON sensor's message, or None when every value dropped out."""
    values = {
        s: round(readings[s], 4) for s in published_json(asset) if not math.isnan(readings[s])
    }
    if not values:
        return None
    body = {"ts": iso(t), **values}
    return Message(json_topic(asset, prefix), json.dumps(body, separators=(",", ":")).encode())


def plain_messages(asset: Asset, readings: Mapping[str, float], prefix: str = "") -> list[Message]:
    """One plain-number message per cheap sensor that has a value."""
    return [
        Message(plain_topic(asset, s, prefix), f"{readings[s]:.2f}".encode())
        for s in plain_signals(asset.asset_class)
        if not math.isnan(readings[s])
    ]


class MqttPublisher:
    """A paho-mqtt client that publishes sensor messages and counts them."""

    def __init__(self, host: str, port: int, qos: int, client_id: str = "plantwatch-sim") -> None:
        self.qos = qos
        self.published = 0
        self.connected = False
        # A persistent session: what the sensors queued at QoS 1 survives a reconnect.
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False
        )
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._host, self._port = host, port

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self.connected = not reason.is_failure

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.DisconnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self.connected = False

    def start(self) -> None:
        """Connect in the background; paho reconnects by itself."""
        self._client.connect_async(self._host, self._port, keepalive=30)
        self._client.loop_start()

    def stop(self) -> None:
        """Disconnect and stop the network thread."""
        self._client.disconnect()
        self._client.loop_stop()

    def publish(self, message: Message) -> None:
        """Queue one message (dropped by the broker connection while it is down, like a sensor)."""
        if not self.connected:
            return
        self._client.publish(message.topic, message.payload, qos=self.qos)
        self.published += 1
