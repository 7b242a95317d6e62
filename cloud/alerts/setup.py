"""The alert channels the settings name."""

from __future__ import annotations

from cloud.alerts.channels import AppriseUrls, Channel, Email, MqttTopic, Webhook
from cloud.settings import Settings


def channels_from(settings: Settings) -> list[Channel]:
    """The channels the settings name (none configured: alerts are only logged)."""
    out: list[Channel] = []
    if settings.alert_webhook_url:
        out.append(Webhook("webhook", settings.alert_webhook_url))
    to = [a.strip() for a in settings.alert_email_to.split(",") if a.strip()]
    if settings.alert_smtp_host and to:
        out.append(
            Email(
                "email",
                settings.alert_smtp_host,
                settings.alert_smtp_port,
                settings.alert_email_from,
                to,
            )
        )
    if settings.alert_mqtt_host:
        out.append(
            MqttTopic(
                "mqtt",
                settings.alert_mqtt_host,
                settings.alert_mqtt_port,
                settings.alert_mqtt_topic,
            )
        )
    if settings.alert_apprise_urls.split():
        out.append(AppriseUrls("apprise", settings.alert_apprise_urls.split()))
    return out
