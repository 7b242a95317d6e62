"""What an alert says, and the Alertmanager webhook payload existing tooling consumes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Status = Literal["firing", "resolved"]
ZERO_TIME = "0001-01-01T00:00:00Z"  # Alertmanager's "no end yet"


@dataclass(frozen=True)
class Alert:
    """One incident as the team should hear of it (a work order, an escalation)."""

    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    status: Status = "firing"
    ends_at: datetime | None = None
    generator_url: str = ""

    @property
    def fingerprint(self) -> str:
        """Stable identity of the incident: the hash of its sorted labels."""
        text = "\x00".join(f"{k}={v}" for k, v in sorted(self.labels.items()))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Group:
    """Alerts sent together: same group labels (e.g. the work order), one message."""

    receiver: str
    group_labels: dict[str, str]
    alerts: list[Alert] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The group's identity (as Alertmanager's groupKey)."""
        return (
            "{}:" + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(self.group_labels.items())) + "}"
        )

    @property
    def status(self) -> Status:
        """Firing while any alert fires."""
        return "firing" if any(a.status == "firing" for a in self.alerts) else "resolved"


def _time(t: datetime | None) -> str:
    return t.isoformat().replace("+00:00", "Z") if t is not None else ZERO_TIME


def alertmanager_payload(group: Group, external_url: str = "") -> dict[str, Any]:
    """The JSON body of Alertmanager's webhook (version 4)."""
    common_labels = dict(
        set.intersection(*(set(a.labels.items()) for a in group.alerts)) if group.alerts else ()
    )
    common_ann = dict(
        set.intersection(*(set(a.annotations.items()) for a in group.alerts))
        if group.alerts
        else ()
    )
    return {
        "version": "4",
        "groupKey": group.key,
        "truncatedAlerts": 0,
        "status": group.status,
        "receiver": group.receiver,
        "groupLabels": group.group_labels,
        "commonLabels": common_labels,
        "commonAnnotations": common_ann,
        "externalURL": external_url,
        "alerts": [
            {
                "status": a.status,
                "labels": a.labels,
                "annotations": a.annotations,
                "startsAt": _time(a.starts_at),
                "endsAt": _time(a.ends_at),
                "generatorURL": a.generator_url,
                "fingerprint": a.fingerprint,
            }
            for a in group.alerts
        ],
    }


def subject(group: Group) -> str:
    """A one-line summary for e-mail subjects and MQTT."""
    first = group.alerts[0] if group.alerts else None
    summary = first.annotations.get("summary", "") if first else ""
    return f"[{group.status.upper()}] {summary}".strip()


def plain_text(group: Group) -> str:
    """The group as plain text: each alert's status, summary, labels and description."""
    lines = []
    for a in group.alerts:
        lines.append(f"{a.status.upper()}: {a.annotations.get('summary', '')}")
        lines += [f"  {k}: {v}" for k, v in sorted(a.labels.items())]
        if a.annotations.get("description"):
            lines.append(f"  {a.annotations['description']}")
    return "\n".join(lines) + "\n"
