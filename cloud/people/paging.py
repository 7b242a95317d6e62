"""Page the person on duty: an e-mail in their language and time zone, with a single-use
link that acknowledges the order and a link that opens it.

Who is paged: the order's assignee (the router picks the least-loaded technician on duty
from the roster), else the team lead; when the order escalates, the team lead (level 1)
and then the supervisor (level 2). Templates are files (``<dir>/page_<language>.txt``)
an operator may replace with ``PLANTWATCH_PAGE_TEMPLATES``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.people.page_channels import (
    Page,
    post_webhook,
    publish_mqtt,
    send_apprise,
    send_email,
)
from cloud.people.sessions import issue_link
from cloud.settings import Settings
from cloud.tables import Asset, Team, User, WarningRow, WorkOrderRow
from cloud.workorders.order_records import aware

log = logging.getLogger("plantwatch.cloud.paging")
TEMPLATES = Path(__file__).parent / "templates"


def _recipient(session: Session, order: WorkOrderRow, level: int) -> User | None:
    team = session.get(Team, order.team_id) if order.team_id else None
    lead, supervisor = (team.lead, team.supervisor) if team is not None else (None, None)
    names = {0: (order.assignee, lead), 1: (lead, supervisor)}.get(level, (supervisor,))
    for name in names:
        if name:
            user = session.scalar(select(User).where(User.username == name, User.active.is_(True)))
            if user is not None and (
                user.email or user.page_webhook or user.page_topic or user.page_apprise
            ):
                return user
    return None


class Pager:
    """Builds and sends pages through the SMTP relay the settings name."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings, self.sessions = settings, sessions
        folder = settings.page_templates or str(TEMPLATES)
        self.env = Environment(
            loader=FileSystemLoader([folder, str(TEMPLATES)]),
            undefined=StrictUndefined,
            autoescape=False,  # plain-text mail
            keep_trailing_newline=True,
        )

    def compose(
        self, session: Session, order_id: int, now: datetime, level: int = 0
    ) -> Page | None:
        """The page for an order's person on duty, or at an escalation ``level`` its team
        lead (1) or supervisor (2); None when nobody can be reached."""
        order = session.get(WorkOrderRow, order_id)
        if order is None:
            return None
        user = _recipient(session, order, level)
        if user is None:
            log.warning("work order %d: nobody on duty with an e-mail address to page", order_id)
            return None
        minutes = self.settings.page_link_minutes
        secret = issue_link(
            session,
            user,
            "acknowledge",
            self.settings.secret_key,
            now,
            order.id,
            timedelta(minutes=minutes),
        )
        zone = ZoneInfo(user.timezone)
        base = self.settings.public_url.rstrip("/")
        language = user.language if (TEMPLATES / f"page_{user.language}.txt").exists() else "en"
        body = self.env.get_template(f"page_{language}.txt").render(
            order=order,
            asset=session.get(Asset, order.asset_id),
            warning=session.scalar(select(WarningRow).where(WarningRow.work_order_id == order.id)),
            acknowledge_by=aware(order.acknowledge_by).astimezone(zone).strftime("%H:%M %Z"),
            on_site_by=aware(order.on_site_by).astimezone(zone).strftime("%H:%M %Z"),
            escalated=level,
            minutes=minutes,
            ack_url=f"{base}/app/l/{secret}",
            open_url=f"{base}/app/orders/{order.id}",
        )
        subject = f"[{order.priority}] work order {order.id}: {order.title}"
        if level:
            subject = f"ESCALATED: {subject}"
        return Page(
            order.id,
            level,
            user.username,
            user.email,
            user.page_webhook,
            user.page_topic,
            subject,
            body,
            f"{base}/app/l/{secret}",
            f"{base}/app/orders/{order.id}",
            now,
            user.page_apprise,
        )

    def _deliver(self, page: Page) -> list[str]:
        """Every channel the person has and the service is configured for, each on its own
        (one that fails is logged and holds up none of the others); the ones that worked."""
        s = self.settings
        sends: dict[str, Callable[[], None]] = {}
        if page.email and s.alert_smtp_host:
            sends["email"] = lambda: send_email(s, page)
        if page.webhook:
            sends["webhook"] = lambda: post_webhook(page)
        if page.topic and s.alert_mqtt_host:
            sends["mqtt"] = lambda: publish_mqtt(s, page)
        if page.apprise:
            sends["apprise"] = lambda: send_apprise(page)
        used = []
        for name, send in sends.items():
            try:
                send()
                used.append(name)
            except Exception as exc:  # any channel's failure: the others still go
                log.error("page to %s by %s failed: %s", page.username, name, exc)
        return used

    def compose_done(self, session: Session, order_id: int, now: datetime) -> Page | None:
        """The notice to a request's reporter that the work is done, asking for a rating;
        None when the order is no request or its reporter cannot be reached by e-mail."""
        order = session.get(WorkOrderRow, order_id)
        if order is None or order.source != "request":
            return None
        user = session.scalar(
            select(User).where(User.username == order.reported_by, User.active.is_(True))
        )
        if user is None or not user.email:
            return None
        zone = ZoneInfo(self.settings.site_timezone)
        base = self.settings.public_url.rstrip("/")
        language = user.language if (TEMPLATES / f"done_{user.language}.txt").exists() else "en"
        open_url = f"{base}/app/orders/{order.id}"
        body = self.env.get_template(f"done_{language}.txt").render(
            order=order,
            asset=session.get(Asset, order.asset_id),
            completed_at=now.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z"),
            open_url=open_url,
        )
        subject = f"Done: work order {order.id}: {order.title}"
        return Page(
            order.id, 0, user.username, user.email, "", "", subject, body, "", open_url, now
        )

    async def tell_requester(self, order_id: int) -> Page | None:
        """E-mail a request's reporter that the work is done (failures are logged)."""
        try:
            with self.sessions() as session:
                notice = self.compose_done(session, order_id, datetime.now(UTC))
            if notice is not None and self.settings.alert_smtp_host:
                await asyncio.to_thread(send_email, self.settings, notice)
                log.info("told %s that work order %d is done", notice.username, order_id)
            return notice
        except Exception as exc:  # a notice that fails must not stop the caller's work
            log.error("the done notice for work order %d failed: %s", order_id, exc)
            return None

    async def page(self, order_id: int, level: int = 0) -> Page | None:
        """Page the person on duty for an order (or, escalated, its lead or supervisor) on
        each of their channels; failures are logged, never raised."""
        try:
            with self.sessions() as session:
                page = self.compose(session, order_id, datetime.now(UTC), level)
            if page is not None:
                used = await asyncio.to_thread(self._deliver, page)
                log.info("paged %s (%s) for work order %d", page.username, used, order_id)
            return page
        except Exception as exc:  # a page that fails must not stop the caller's work
            log.error("paging for work order %d failed: %s", order_id, exc)
            return None
