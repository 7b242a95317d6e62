"""Where a page goes: e-mail over SMTP (STARTTLS, login), the person's own webhook in
Alertmanager's format, and the person's MQTT topic on the alert broker (login, TLS)."""

from __future__ import annotations

import asyncio
import json
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

import httpx
import paho.mqtt.publish as mqtt_publish

from cloud.alerts.channels import notify_apprise
from cloud.alerts.message import Alert, Group, alertmanager_payload
from cloud.settings import Settings
from cloud.tables import User

log = logging.getLogger("plantwatch.cloud.paging")


@dataclass(frozen=True)
class Page:
    """One message to one person, with where it goes."""

    order_id: int
    level: int
    username: str
    email: str
    webhook: str
    topic: str
    subject: str
    body: str
    ack_url: str
    open_url: str
    at: datetime
    apprise: str = ""  # the person's own Apprise URL

    def as_group(self) -> Group:
        """The page as an Alertmanager group (for webhooks and MQTT)."""
        alert = Alert(
            labels={
                "alertname": "WorkOrderPage",
                "work_order": str(self.order_id),
                "recipient": self.username,
                "level": str(self.level),
            },
            annotations={
                "summary": self.subject,
                "description": self.body,
                "acknowledge_url": self.ack_url,
                "order_url": self.open_url,
            },
            starts_at=self.at,
            generator_url=self.open_url,
        )
        return Group(
            "page", {"work_order": str(self.order_id), "recipient": self.username}, [alert]
        )


def _mail(settings: Settings, to: str, subject: str, text: str) -> None:
    """One plain-text message through the SMTP relay, with STARTTLS and login when set
    (blocking)."""
    assert settings.alert_smtp_host is not None
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = subject, settings.alert_email_from, to
    msg.set_content(text)
    with smtplib.SMTP(settings.alert_smtp_host, settings.alert_smtp_port, timeout=10) as smtp:
        if settings.alert_smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.alert_smtp_user:
            smtp.login(settings.alert_smtp_user, settings.alert_smtp_password)
        smtp.send_message(msg)


def send_email(settings: Settings, page: Page) -> None:
    """The page by e-mail (blocking)."""
    _mail(settings, page.email, page.subject, page.body)


def post_webhook(page: Page) -> None:
    """The Alertmanager payload to the person's webhook (blocking; non-2xx raises)."""
    httpx.post(
        page.webhook, json=alertmanager_payload(page.as_group()), timeout=10
    ).raise_for_status()


def send_apprise(page: Page) -> None:
    """The page to the person's Apprise URL (blocking; a failed delivery raises)."""
    notify_apprise([page.apprise], page.subject, f"{page.body}\n{page.open_url}\n")


def publish_mqtt(settings: Settings, page: Page) -> None:
    """The Alertmanager payload to the person's topic, QoS 1 (blocking)."""
    assert settings.alert_mqtt_host is not None
    auth = (
        {"username": settings.alert_mqtt_username, "password": settings.alert_mqtt_password}
        if settings.alert_mqtt_username
        else None
    )
    tls = {"ca_certs": settings.alert_mqtt_ca_file} if settings.alert_mqtt_tls else None
    mqtt_publish.single(
        page.topic,
        json.dumps(alertmanager_payload(page.as_group())),
        qos=1,
        hostname=settings.alert_mqtt_host,
        port=settings.alert_mqtt_port,
        client_id="",
        auth=auth,  # type: ignore[arg-type]
        tls=tls,  # type: ignore[arg-type]
    )


async def send_reset(settings: Settings, user: User, url: str) -> None:
    """E-mail a password-reset link (failures are logged: the form's answer never tells)."""
    if not settings.alert_smtp_host:
        return
    text = (
        f"Someone asked to reset the plantwatch password of {user.username}.\n\n"
        f"Choose a new one here (works once, for an hour):\n{url}\n\n"
        "If it was not you, ignore this message: your password stays as it is.\n"
    )
    try:
        await asyncio.to_thread(
            _mail, settings, user.email, "plantwatch: reset your password", text
        )
    except (OSError, smtplib.SMTPException) as exc:
        log.error("password reset mail to %s failed: %s", user.username, exc)
