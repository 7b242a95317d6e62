"""Channels: webhook (Alertmanager JSON), e-mail over SMTP, an MQTT topic. Thin I/O shells."""

from __future__ import annotations

import asyncio
import json
import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import httpx
import paho.mqtt.publish as mqtt_publish

from cloud.alerts.message import Group, alertmanager_payload, plain_text, subject

log = logging.getLogger("plantwatch.cloud.alerts")


class Channel(Protocol):
    """Somewhere a group of alerts can be delivered."""

    name: str

    async def send(self, group: Group) -> None:
        """Deliver or raise."""
        ...


@dataclass
class Webhook:
    """POST the Alertmanager webhook payload to a URL."""

    name: str
    url: str
    timeout_s: float = 5.0

    async def send(self, group: Group) -> None:
        """Deliver; a non-2xx answer raises."""
        async with httpx.AsyncClient(timeout=self.timeout_s) as client:
            r = await client.post(self.url, json=alertmanager_payload(group))
            r.raise_for_status()


@dataclass
class Email:
    """Plain-text e-mail through an SMTP relay."""

    name: str
    host: str
    port: int
    sender: str
    to: list[str]
    timeout_s: float = 10.0

    def _send(self, group: Group) -> None:
        msg = EmailMessage()
        msg["Subject"] = subject(group)
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.to)
        msg.set_content(plain_text(group))
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
            smtp.send_message(msg)

    async def send(self, group: Group) -> None:
        """Deliver in a worker thread (smtplib blocks)."""
        await asyncio.to_thread(self._send, group)


@dataclass
class MqttTopic:
    """Publish the webhook payload (retained=False, QoS 1) to a topic."""

    name: str
    host: str
    port: int
    topic: str

    def _send(self, group: Group) -> None:
        mqtt_publish.single(
            self.topic,
            json.dumps(alertmanager_payload(group)),
            qos=1,
            hostname=self.host,
            port=self.port,
            client_id="",
        )

    async def send(self, group: Group) -> None:
        """Deliver in a worker thread (paho's helper blocks)."""
        await asyncio.to_thread(self._send, group)


@dataclass
class AppriseUrls:
    """The long tail of services (Teams, Slack, ntfy, SMS gateways, ...) through Apprise,
    one URL per service (the optional ``apprise`` extra)."""

    name: str
    urls: list[str]

    async def send(self, group: Group) -> None:
        """Deliver in a worker thread (Apprise blocks)."""
        await asyncio.to_thread(notify_apprise, self.urls, subject(group), plain_text(group))


def notify_apprise(urls: list[str], title: str, body: str) -> None:
    """One message to every Apprise URL (blocking); a URL Apprise cannot use, or a failed
    delivery, raises, naming only the URL's scheme (the rest may hold a secret)."""
    import apprise

    sender = apprise.Apprise()
    for url in urls:
        if not sender.add(url):
            raise ValueError(f"Apprise cannot use a {url.split(':', 1)[0]}:// URL")
    if not sender.notify(title=title, body=body):
        raise RuntimeError("Apprise could not deliver to every URL")
