"""MQTT sources: a persistent session per broker, reconnecting with backoff (aiomqtt)."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable

import aiomqtt

from edge.acquire.mqtt_codec import PayloadError, decode, topic_matches
from edge.metrics import EdgeMetrics
from edge.mqtt_config import MqttSource
from edge.tls import client_context
from kernel.contract import Reading

log = logging.getLogger("plantwatch.edge.mqtt")


Emit = Callable[[list[Reading], Callable[[], None] | None], None]


def _acknowledger(client: aiomqtt.Client, mid: int, qos: int) -> Callable[[], None] | None:
    """What acknowledges one received message (nothing to do at QoS 0)."""
    if qos == 0:
        return None

    def done() -> None:
        # After a reconnect the id belongs to a gone session: the broker sends it again.
        client._client.ack(mid, qos)

    return done


class MqttListener:
    """Subscribes to one broker and emits the readings its messages carry."""

    def __init__(self, source: MqttSource, emit: Emit, metrics: EdgeMetrics) -> None:
        self.source = source
        self.emit = emit
        self.metrics = metrics
        self.connected = False

    def _client(self) -> aiomqtt.Client:
        s = self.source
        tls = client_context(s.ca_file, s.cert_file, s.key_file) if s.uses_tls else None
        # clean_session=False: the broker keeps our subscriptions and queues QoS>0 messages
        # while we are away, so a gateway restart loses nothing the broker accepted.
        client = aiomqtt.Client(
            s.host,
            s.port,
            identifier=s.client_id,
            clean_session=False,
            username=s.username,
            password=s.password,
            keepalive=s.keepalive_s,
            tls_context=tls,
        )
        # Acknowledge a QoS 1 message only once its readings are in the spool: a gateway
        # that dies before then gets it again from the broker (the cloud absorbs the copy).
        # aiomqtt has no public switch for this yet (its issue #345): paho's client has.
        client._client.manual_ack_set(True)
        return client

    def handle(self, topic: str, payload: bytes, done: Callable[[], None] | None = None) -> None:
        """Decode one message; refusals are counted and logged, never raised. ``done``
        acknowledges it: after the spool for readings, at once for a refused message."""
        received_ms = int(time.time() * 1000)
        for sub in self.source.subscriptions:
            if not topic_matches(sub.topic, topic):
                continue
            try:
                readings = decode(sub, topic, payload, received_ms)
            except PayloadError as exc:
                self._refused(topic, str(exc), done)
                return
            except Exception as exc:  # any payload, however built, must not stop the gateway
                self._refused(topic, f"{type(exc).__name__}: {str(exc)[:200]}", done)
                return
            self.metrics.mqtt_messages.labels(self.source.name, "ok").inc()
            self.metrics.polled.inc(len(readings))
            self.emit(readings, done)
            return
        self.metrics.mqtt_messages.labels(self.source.name, "unmatched").inc()
        if done is not None:
            done()

    def _refused(self, topic: str, why: str, done: Callable[[], None] | None) -> None:
        self.metrics.mqtt_messages.labels(self.source.name, "malformed").inc()
        log.warning("%s: refused message on %s: %s", self.source.name, topic, why)
        if done is not None:
            done()

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
                        done = _acknowledger(client, message.mid, message.qos)
                        self.handle(str(message.topic), raw, done)
            except aiomqtt.MqttError as exc:
                self.connected = False
                self.metrics.mqtt_messages.labels(self.source.name, "disconnect").inc()
                log.warning("%s: %s; reconnecting in %.1f s", self.source.name, exc, backoff)
                await asyncio.sleep(backoff * random.uniform(0.5, 1.0))
                backoff = min(self.source.backoff_max_s, backoff * 2)
