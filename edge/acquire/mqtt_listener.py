"""MQTT sources: a persistent session per broker, reconnecting with backoff (aiomqtt)."""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import time
from collections.abc import Callable

import aiomqtt

from edge.acquire.mqtt_codec import PayloadError, decode, topic_matches
from edge.config import MqttSource
from edge.metrics import EdgeMetrics
from kernel.contract import Reading

log = logging.getLogger("plantwatch.edge.mqtt")


class MqttListener:
    """Subscribes to one broker and emits the readings its messages carry."""

    def __init__(
        self, source: MqttSource, emit: Callable[[list[Reading]], None], metrics: EdgeMetrics
    ) -> None:
        self.source = source
        self.emit = emit
        self.metrics = metrics
        self.connected = False

    def _client(self) -> aiomqtt.Client:
        s = self.source
        tls = ssl.create_default_context(cafile=str(s.ca_file)) if s.ca_file else None
        # clean_session=False: the broker keeps our subscriptions and queues QoS>0 messages
        # while we are away, so a gateway restart loses nothing the broker accepted.
        return aiomqtt.Client(
            s.host,
            s.port,
            identifier=s.client_id,
            clean_session=False,
            username=s.username,
            password=s.password,
            keepalive=s.keepalive_s,
            tls_context=tls,
        )

    def handle(self, topic: str, payload: bytes) -> None:
        """Decode one message; refusals are counted and logged, never raised."""
        received_ms = int(time.time() * 1000)
        for sub in self.source.subscriptions:
            if not topic_matches(sub.topic, topic):
                continue
            try:
                readings = decode(sub, topic, payload, received_ms)
            except PayloadError as exc:
                self.metrics.mqtt_messages.labels(self.source.name, "malformed").inc()
                log.warning("%s: refused message on %s: %s", self.source.name, topic, exc)
                return
            self.metrics.mqtt_messages.labels(self.source.name, "ok").inc()
            self.metrics.polled.inc(len(readings))
            self.emit(readings)
            return
        self.metrics.mqtt_messages.labels(self.source.name, "unmatched").inc()

    async def run(self) -> None:
        """Listen forever, reconnecting with exponential backoff and jitter."""
        backoff = 1.0
        while True:
            try:
                async with self._client() as client:
                    for sub in self.source.subscriptions:
                        await client.subscribe(sub.topic, qos=sub.qos)
                    self.connected, backoff = True, 1.0
                    log.info(
                        "%s: connected to %s:%d",
                        self.source.name,
                        self.source.host,
                        self.source.port,
                    )
                    async for message in client.messages:
                        payload = message.payload
                        raw = payload if isinstance(payload, bytes) else str(payload).encode()
                        self.handle(str(message.topic), raw)
            except aiomqtt.MqttError as exc:
                self.connected = False
                self.metrics.mqtt_messages.labels(self.source.name, "disconnect").inc()
                log.warning("%s: %s; reconnecting in %.1f s", self.source.name, exc, backoff)
                await asyncio.sleep(backoff * random.uniform(0.5, 1.0))
                backoff = min(self.source.backoff_max_s, backoff * 2)
