"""Alert channels against real receivers: an HTTP server, aiosmtpd, Mosquitto."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import paho.mqtt.client as mqtt
import pytest
from aiosmtpd.controller import Controller

from cloud.alerts.channels import AppriseUrls, Email, MqttTopic, Webhook
from cloud.alerts.message import Alert, Group
from cloud.alerts.notifier import Notifier
from tests.servers import free_port, mosquitto

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


class Receiver(BaseHTTPRequestHandler):
    bodies: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        n = int(self.headers["Content-Length"])
        Receiver.bodies.append(json.loads(self.rfile.read(n)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def webhook_server() -> Iterator[str]:
    """A real HTTP receiver on a free loopback port; bodies land in ``Receiver.bodies``."""
    Receiver.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/alerts"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def webhook() -> Iterator[str]:
    with webhook_server() as url:
        yield url


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


def group(status: str = "firing") -> Group:
    alert = Alert(
        labels={"alertname": "WorkOrderUnacknowledged", "work_order": "17", "team": "hvac"},
        annotations={"summary": "Work order 17 (AHU warm) not acknowledged in 5 min"},
        starts_at=T0,
        status=status,  # type: ignore[arg-type]
    )
    return Group("maintenance", {"work_order": "17"}, [alert])


async def test_every_channel_delivers_and_a_dead_one_blocks_none(
    webhook: str, smtp: tuple[int, Inbox], tmp_path: Path
) -> None:
    port, inbox = smtp
    with mosquitto(tmp_path) as broker:
        got: list[bytes] = []
        both = threading.Event()

        def on_message(client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
            got.append(msg.payload)
            if len(got) >= 2:
                both.set()

        sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        sub.on_message = on_message
        sub.connect("127.0.0.1", broker.port)
        sub.subscribe("plantwatch/alerts", qos=1)
        sub.loop_start()
        await asyncio.sleep(0.3)
        try:
            notifier = Notifier(
                [
                    Webhook("dead", f"http://127.0.0.1:{free_port()}/nobody"),
                    Webhook("ops-webhook", webhook),
                    Email(
                        "mail", "127.0.0.1", port, "plantwatch@campus.test", ["hvac@campus.test"]
                    ),
                    MqttTopic("mqtt", "127.0.0.1", broker.port, "plantwatch/alerts"),
                ],
                attempts=2,
                backoff_s=0.05,
            )
            out = await notifier.notify(group())
            by = {d.channel: d for d in out}
            assert (
                not by["dead"].ok
                and by["dead"].attempts == 2
                and "ConnectError" in by["dead"].error
            )
            assert all(by[n].ok for n in ("ops-webhook", "mail", "mqtt"))
            assert await notifier.notify(group()) == []  # the same incident pages once
            resolved = await notifier.notify(group("resolved"))
            assert {d.channel for d in resolved if d.ok} == {"ops-webhook", "mail", "mqtt"}
            await asyncio.to_thread(both.wait, 5)
        finally:
            sub.loop_stop()
            sub.disconnect()
    assert [b["status"] for b in Receiver.bodies] == ["firing", "resolved"]
    body = Receiver.bodies[0]
    assert body["version"] == "4" and body["groupKey"] == '{}:{work_order="17"}'
    assert body["alerts"][0]["labels"]["alertname"] == "WorkOrderUnacknowledged"
    assert body["alerts"][0]["endsAt"] == "0001-01-01T00:00:00Z"
    assert len(inbox.messages) == 2
    assert b"Subject: [FIRING] Work order 17 (AHU warm) not acknowledged" in inbox.messages[0]
    assert [json.loads(p)["status"] for p in got] == ["firing", "resolved"]


async def test_apprise_reaches_a_service_by_its_url(webhook: str) -> None:
    # Apprise's json:// service posts the message to an HTTP endpoint: here a real receiver
    url = webhook.replace("http://", "json://")
    notifier = Notifier(
        [AppriseUrls("apprise", [url]), AppriseUrls("bad", ["nosuchservice://x"])],
        attempts=1,
    )
    out = {d.channel: d for d in await notifier.notify(group())}
    assert out["apprise"].ok and not out["bad"].ok
    assert "nosuchservice://" in out["bad"].error and "x" not in out["bad"].error.split("://")[1]
    (body,) = Receiver.bodies
    assert body["title"] == "[FIRING] Work order 17 (AHU warm) not acknowledged in 5 min"
    assert "work_order: 17" in body["message"]


def test_apprise_and_the_site_zone_are_checked_with_the_settings() -> None:
    from pydantic import ValidationError

    from cloud.alerts.setup import channels_from
    from cloud.settings import Settings

    s = Settings(alert_apprise_urls="ntfy://127.0.0.1/plant json://127.0.0.1:9/x")
    (chan,) = channels_from(s)
    assert isinstance(chan, AppriseUrls) and len(chan.urls) == 2
    with pytest.raises(ValidationError, match="no IANA time zone"):
        Settings(site_timezone="Mars/Olympus")
